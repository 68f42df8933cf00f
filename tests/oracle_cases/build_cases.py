#!/usr/bin/env python3
"""Source of the hand-designed oracle corpus: writes tests/oracle_cases/*.jsonl and cases.json.

Every case is one JSONL line with a one-line description. The JSONL files are generated from the lists
below so that every line has a distinct image_url (lines never interact) and a description; do not edit
the .jsonl files by hand, edit this file and regenerate:

    python tests/oracle_cases/build_cases.py            # rewrites *.jsonl and cases.json
    python scripts/oracle_compare.py --write-expected   # reruns the oracle, rewrites expected/*.json

Standard library only. Not a test module (pytest does not collect it).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MISSING = object()          # the key is absent from the record
NULL = object()             # url=NULL: image_url is JSON null (url=None means the default url)
SUB = ('azureml://subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/workspaces/ws/'
       'datastores/ds/paths/')
SUB_LONG = ('azureml://subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/'
            'Microsoft.MachineLearningServices/workspaces/ws/datastores/ds/paths/')
SQ = [0.1, 0.1, 0.5, 0.1, 0.5, 0.5, 0.1, 0.5]        # valid 4-point segment
TRI = [0.6, 0.6, 0.9, 0.6, 0.9, 0.9]                # valid 3-point segment (6 numbers: the minimum)
MODELS = {'mc': [None], 'ml': [None], 'od': ['frcnn', 'yolov5', 'retinanet'], 'is': ['maskrcnn']}


class Raw(str):
    """A line written verbatim (invalid JSON, BOM, blank line, ...)."""


def box(label='cat', x0=0.1, y0=0.2, x1=0.5, y1=0.6, **kw):
    """An object-detection annotation; pass MISSING to leave a key out, extra keys via kw."""
    a = {'label': label, 'topX': x0, 'topY': y0, 'bottomX': x1, 'bottomY': y1}
    a.update(kw)
    return {k: v for k, v in a.items() if v is not MISSING}


def poly(label='cat', polygon=MISSING, **kw):
    """An instance-segmentation annotation (polygon defaults to one valid 4-point segment)."""
    a = {'label': label, 'polygon': [list(SQ)] if polygon is MISSING else polygon}
    a.update(kw)
    return {k: v for k, v in a.items() if v is not MISSING}


class CaseFile:
    def __init__(self, stem, purpose, bom_crlf=False):
        self.stem = stem
        self.task = stem.split('_')[0]
        self.purpose = purpose
        self.bom_crlf = bom_crlf
        self.lines = []   # (description, record-or-Raw)

    def url(self, n):
        folder = self.stem.replace('_', '/', 1) if '_' in self.stem else self.stem
        return 'AmlDatastore://ds/%s/case_%03d.jpg' % (folder, n)

    def add(self, desc, label=MISSING, url=None, details=MISSING, **extra):
        """One case. url: None = distinct default, MISSING = no key, NULL = null, str may use {n} and {t}."""
        n = len(self.lines) + 1
        rec = {}
        if url is None:
            rec['image_url'] = self.url(n)
        elif url is NULL:
            rec['image_url'] = None
        elif url is not MISSING:
            rec['image_url'] = url.format(n='%03d' % n, t=self.task) if isinstance(url, str) else url
        if details is not MISSING:
            rec['image_details'] = details
        if label is not MISSING:
            rec['label'] = label
        rec.update(extra)
        self.lines.append((desc, rec))
        return self

    def raw(self, desc, text):
        """A verbatim line; '{url}' in text is replaced by this line's distinct default image_url."""
        n = len(self.lines) + 1
        self.lines.append((desc, Raw(text.replace('{url}', self.url(n)))))
        return self

    def render(self):
        out = []
        for _desc, rec in self.lines:
            out.append(str(rec) if isinstance(rec, Raw) else json.dumps(rec, ensure_ascii=False))
        eol = '\r\n' if self.bom_crlf else '\n'
        text = eol.join(out) + eol
        return ('\ufeff' + text) if self.bom_crlf else text


FILES = []


def new(stem, purpose, **kw):
    f = CaseFile(stem, purpose, **kw)
    FILES.append(f)
    return f


def default_label(task, cls='cat'):
    return {'mc': cls, 'ml': [cls], 'od': [box(cls)], 'is': [poly(cls)]}[task]


# ---------------------------------------------------------------------------------------------------------
# image_url forms and top-level keys: the same cases for every task (reference §1-§3)
# ---------------------------------------------------------------------------------------------------------
def url_and_toplevel_cases(f):
    t = f.task
    L = default_label(t)
    f.add('baseline: AmlDatastore://<datastore>/<path>, valid label', L,
          details={'format': 'jpg', 'width': 640, 'height': 480})
    f.add('azureml://subscriptions/.../resourcegroups/.../datastores/ds/paths/<path> long form', L,
          url=SUB + '{t}/case_{n}.jpg')
    f.add('azureml:// long form with resourceGroups and /providers/Microsoft.MachineLearningServices/', L,
          url=SUB_LONG + '{t}/case_{n}.jpg')
    f.add('scheme upper case AMLDATASTORE:// (scheme is case-sensitive)', L, url='AMLDATASTORE://ds/{t}/case_{n}.jpg')
    f.add('scheme lower case amldatastore://', L, url='amldatastore://ds/{t}/case_{n}.jpg')
    f.add('three slashes AmlDatastore:///ds/...', L, url='AmlDatastore:///ds/{t}/case_{n}.jpg')
    f.add('misspelled scheme AmlDatastore1111://', L, url='AmlDatastore1111://ds/{t}/case_{n}.jpg')
    f.add('short form azureml://datastores/ds/paths/... (not accepted)', L,
          url='azureml://datastores/ds/paths/{t}/case_{n}.jpg')
    f.add('azureml://locations/... data-asset form', L,
          url='azureml://locations/westeurope/workspaces/ws/data/imgs/versions/1/{t}/case_{n}.jpg')
    f.add('relative local path', L, url='{t}/case_{n}.jpg')
    f.add('absolute local path', L, url='/data/{t}/case_{n}.jpg')
    f.add('backslashes in the path', L, url='AmlDatastore://ds\\{t}\\case_{n}.jpg')
    f.add('leading space in image_url', L, url=' AmlDatastore://ds/{t}/case_{n}.jpg')
    f.add('trailing space in image_url', L, url='AmlDatastore://ds/{t}/case_{n}.jpg ')
    f.add('empty string image_url', L, url='')
    f.add('image_url null', L, url=NULL)
    f.add('image_url is a number', L, url=len(f.lines) + 1)
    f.add('image_url key missing', L, url=MISSING)
    f.add('image_url is a list of one string', L, url=['AmlDatastore://ds/%s/case_%03d.jpg' % (t, len(f.lines) + 1)])
    f.add("'//' right after the datastore name (normalised away)", L, url='AmlDatastore://ds//{t}/case_{n}.jpg')
    f.add("'//' inside the path (normalised away)", L, url='AmlDatastore://ds/{t}//case_{n}.jpg')
    f.add('?query string (stripped by the converter)', L, url='AmlDatastore://ds/{t}/case_{n}.jpg?sv=2021&sig=abc')
    f.add('%20 escape (percent-decoded by the converter)', L, url='AmlDatastore://ds/{t}/case%20{n}.jpg')
    f.add('https:// URL', L, url='https://example.com/{t}/case_{n}.jpg')
    f.add('http:// URL', L, url='http://example.com/{t}/case_{n}.jpg')
    f.add('wasbs:// blob URL', L, url='wasbs://container@account.blob.core.windows.net/{t}/case_{n}.jpg')
    f.add('file:/// URL', L, url='file:///data/{t}/case_{n}.jpg')
    f.add('AmlDatastore://only.jpg: single segment = datastore name, empty path', L,
          url='AmlDatastore://only_{n}.jpg')
    f.add('AmlDatastore://ds/<folder>/ (trailing slash: a folder)', L, url='AmlDatastore://ds/{t}/case_{n}/')
    f.add('azureml:// long form ending in a folder', L, url=SUB + '{t}/case_{n}/')
    f.add('upper-case extension .JPG', L, url='AmlDatastore://ds/{t}/case_{n}.JPG')
    f.add('no extension whitelist: .webp', L, url='AmlDatastore://ds/{t}/case_{n}.webp')
    f.add('file without extension', L, url='AmlDatastore://ds/{t}/case_{n}')
    f.add('image_details with strings "400px"', L, details={'format': 'png', 'width': '400px', 'height': '300px'})
    f.add('image_details with negative width, no format', L, details={'width': -1, 'height': 0})
    f.add('image_details null', L, details=None)
    f.add('image_details is a string', L, details='640x480')
    f.add('image_details format disagrees with the extension (gif vs .jpg)', L,
          details={'format': 'gif', 'width': 10, 'height': 10})
    f.add('extra top-level keys', L, score=0.5, source='labeler', meta={'a': [1, 2]})
    f.add("key 'Label' instead of 'label' (label missing)", MISSING, Label=L)
    f.add("key 'imageUrl' instead of 'image_url' (image_url missing)", L, url=MISSING,
          imageUrl='AmlDatastore://ds/%s/case_%03d.jpg' % (t, len(f.lines) + 1))


def duplicate_cases(f, a_label, b_label, same_label):
    t = f.task
    u1 = 'AmlDatastore://ds/%s/dup_a.jpg' % t
    u2 = 'AmlDatastore://ds/%s/dup_b.jpg' % t
    f.add('duplicate image_url (1st of 2, different label)', a_label, url=u1)
    f.add('duplicate image_url (2nd of 2, different label)', b_label, url=u1)
    f.add('duplicate image_url (1st of 2, identical lines)', same_label, url=u2)
    f.add('duplicate image_url (2nd of 2, identical lines)', same_label, url=u2)


# ---------------------------------------------------------------------------------------------------------
# multi-class (§5)
# ---------------------------------------------------------------------------------------------------------
def build_mc():
    f = new('mc', 'multi-class: every per-line behaviour; all valid labels are strings (no mixed types)')
    url_and_toplevel_cases(f)
    f.add('second class string "dog"', 'dog')
    f.add('empty string class ""', '')
    f.add('label with surrounding whitespace " cat "', ' cat ')
    f.add('class differing only by case "Cat"', 'Cat')
    f.add('numeric string label "1"', '1')
    f.add('unicode label', 'chat_é')
    f.add('comma-separated string (one class named "cat,dog")', 'cat,dog')
    f.add('label float 1.0', 1.0)
    f.add('label float 1.5', 1.5)
    f.add('label list ["cat"]', ['cat'])
    f.add('label empty list []', [])
    f.add('label null', None)
    f.add('label key missing', MISSING)
    f.add('label dict {"name": "cat"}', {'name': 'cat'})
    f.add('label OD-style list of box dicts', [box()])
    duplicate_cases(f, 'cat', 'dog', 'cat')

    f = new('mc_clean', 'multi-class: all lines clean (3 classes)')
    for i, c in enumerate(['cat', 'dog', 'bird', 'cat', 'dog', 'bird', 'cat', 'dog']):
        f.add('clean line, class %s' % c, c, details={'format': 'jpg', 'width': 640, 'height': 480})

    f = new('mc_intlabels', 'multi-class: integer labels only (plus one boolean, which passes as int)')
    for c in [0, 1, 2, 1, 0]:
        f.add('int label %d' % c, c)
    f.add('boolean label true among ints', True)
    f.add('integer beyond int64 as label', 12345678901234567890)

    f = new('mc_boollabels', 'multi-class: every label a JSON boolean (reference: bool dtype column -> REJECT)')
    for c in [True, False, True, False]:
        f.add('boolean label %s' % json.dumps(c), c)

    f = new('mc_mixed', 'multi-class: str and int labels mixed -> job fails sorting the classes')
    f.add('str label', 'cat').add('str label', 'dog').add('int label among str labels', 3)

    f = new('mc_single', 'multi-class: a single line -> automatic train/validation split fails')
    f.add('the only line', 'cat')

    f = new('mc_nolabelcol', 'multi-class: no line has a label key (label column missing)')
    f.add('no label key', MISSING).add('no label key', MISSING).add('no label key', MISSING)


# ---------------------------------------------------------------------------------------------------------
# multi-label (§6)
# ---------------------------------------------------------------------------------------------------------
def build_ml():
    f = new('ml', 'multi-label: every per-line behaviour; all valid labels are strings')
    url_and_toplevel_cases(f)
    f.add('two classes', ['cat', 'dog'])
    f.add('empty list [] (all-negative image)', [])
    f.add('duplicate class in list ["cat","cat"]', ['cat', 'cat'])
    f.add('plain string "cat"', 'cat')
    f.add('comma-separated string "cat,dog"', 'cat,dog')
    f.add('label null', None)
    f.add('label key missing', MISSING)
    f.add('label dict {"cat": 1}', {'cat': 1})
    f.add('nested list [["cat"]]', [['cat']])
    f.add('float in list [1.5]', [1.5])
    f.add('float 1.0 among strings', ['cat', 1.0])
    f.add('null in list', ['cat', None])
    f.add('empty string class [""]', [''])
    f.add('whitespace class [" cat"]', [' cat'])
    f.add('case variants ["Cat","cat"]', ['Cat', 'cat'])
    f.add('label int (not a list)', 3)
    duplicate_cases(f, ['cat'], ['dog'], ['cat', 'dog'])

    f = new('ml_clean', 'multi-label: all lines clean')
    for c in [['cat'], ['dog'], ['cat', 'dog'], ['bird'], ['cat', 'bird'], [], ['dog', 'bird'], ['cat']]:
        f.add('clean line %s' % json.dumps(c), c, details={'format': 'jpg', 'width': 640, 'height': 480})

    f = new('ml_intlabels', 'multi-label: integer labels only (plus a boolean)')
    for c in [[0], [1, 2], [], [2], [0, 1]]:
        f.add('int labels %s' % json.dumps(c), c)
    f.add('boolean in list [true]', [True])

    f = new('ml_mixed', 'multi-label: str and int labels mixed -> job fails sorting the classes')
    f.add('str labels', ['cat']).add('str labels', ['dog']).add('int labels among str', [1])
    f.add('str and int in one list', ['cat', 2])

    f = new('ml_single', 'multi-label: a single line -> automatic train/validation split fails')
    f.add('the only line', ['cat'])

    f = new('ml_allempty', 'multi-label: every label [] (no class at all)')
    for _ in range(4):
        f.add('empty list', [])

    f = new('ml_nolabelcol', 'multi-label: no line has a label key (label column missing)')
    f.add('no label key', MISSING).add('no label key', MISSING).add('no label key', MISSING)


# ---------------------------------------------------------------------------------------------------------
# object detection (§4)
# ---------------------------------------------------------------------------------------------------------
def od_annotation_cases(f, masks):
    """Cases shared by od and is; `masks` switches the 'valid' annotation shape."""
    A = (lambda cls='cat', **kw: poly(cls, **kw)) if masks else (lambda cls='cat', **kw: box(cls, **kw))
    f.add('label [] (background image)', [])
    f.add('label a single dict instead of a list', A())
    f.add('label a string', 'cat')
    f.add('label null', None)
    f.add('label key missing', MISSING)
    f.add('label a number', 5)
    f.add('label list containing a list', [[0.1, 0.2, 0.5, 0.6]])
    f.add('label list containing a string', ['cat'])
    f.add('label list containing null', [None])
    f.add('two valid annotations', [A('cat'), A('dog')])
    f.add('valid annotation + non-dict element (whole image dropped)', [A('cat'), 'dog'])
    f.add('annotation without "label" key', [{k: v for k, v in A().items() if k != 'label'}])
    f.add('annotation label "Cat" (case variant, distinct class)', [A('Cat')])
    f.add('annotation label with trailing space "cat "', [A('cat ')])
    f.add('annotation label unicode', [A('chat_é')])
    f.add('annotation label float 2.0', [A(2.0)])
    f.add('annotation label float 1.5', [A(1.5)])
    f.add('annotation label list ["cat"]', [A(['cat'])])
    f.add('annotation label dict', [A({'name': 'cat'})])
    f.add('annotation label null', [A(None)])
    f.add('annotation with extra keys (score, difficult)', [A(score=0.9, difficult=1, occluded=False)])
    for v in ['true', 'True', '1', 1, True, 1.0, 'TRUE', 'yes', 't', 2, None, 'false', 0, '0', False, 0.0, -1]:
        f.add('isCrowd %s' % json.dumps(v), [A(isCrowd=v)])


def build_od():
    f = new('od', 'object detection: every per-line behaviour; all valid classes are strings sorting after "--bg--"')
    url_and_toplevel_cases(f)
    od_annotation_cases(f, masks=False)
    f.add('valid box + out-of-range box (only the bad one is dropped)', [box('cat'), box('dog', x1=1.2)])
    f.add('int 0/1 full-image box', [box(x0=0, y0=0, x1=1, y1=1)])
    f.add('float 0.0/1.0 full-image box', [box(x0=0.0, y0=0.0, x1=1.0, y1=1.0)])
    f.add('numeric strings "0.1" ...', [box(x0='0.1', y0='0.2', x1='0.5', y1='0.6')])
    f.add('numeric string with spaces " 0.5 "', [box(x1=' 0.5 ')])
    f.add('numeric string "1e-1"', [box(x0='1e-1')])
    f.add('boolean coordinates topX false (0.0), bottomX true (1.0)', [box(x0=False, x1=True)])
    f.add('string "1" for bottomY', [box(y1='1')])
    f.add('"nan" coordinate', [box(x1='nan')])
    f.add('"inf" coordinate', [box(x1='inf')])
    f.add('"-inf" coordinate', [box(x0='-inf')])
    f.add('"abc" coordinate', [box(x0='abc')])
    f.add('empty-string coordinate', [box(y0='')])
    f.add('null coordinate', [box(y1=None)])
    f.add('list coordinate', [box(x0=[0.1])])
    f.add('dict coordinate', [box(x0={'v': 0.1})])
    f.add('comma decimal "0,5"', [box(x1='0,5')])
    f.add('percent string "50%"', [box(x1='50%')])
    f.add('bottomX 1.0000001 (just outside)', [box(x1=1.0000001)])
    f.add('topX -0.01', [box(x0=-0.01)])
    f.add('pixel coordinates', [box(x0=10, y0=20, x1=200, y1=150)])
    f.add('integer beyond int64 as coordinate', [box(x1=12345678901234567890)])
    f.add('swapped x (bottomX < topX)', [box(x0=0.5, x1=0.1)])
    f.add('swapped y (bottomY < topY)', [box(y0=0.6, y1=0.2)])
    f.add('zero width', [box(x0=0.3, x1=0.3)])
    f.add('zero height', [box(y0=0.4, y1=0.4)])
    f.add('tiny but positive box', [box(x0=0.5, y0=0.5, x1=0.5000001, y1=0.5000001)])
    f.add('missing bottomY', [box(y1=MISSING)])
    f.add('capitalised keys TopX/TopY/BottomX/BottomY', [{'label': 'cat', 'TopX': 0.1, 'TopY': 0.2,
                                                          'BottomX': 0.5, 'BottomY': 0.6}])
    f.add('COCO-style x/y/width/height keys', [{'label': 'cat', 'x': 0.1, 'y': 0.2, 'width': 0.4, 'height': 0.4}])
    f.add('prediction-style "box" wrapper', [{'label': 'cat', 'box': {'topX': 0.1, 'topY': 0.2,
                                                                      'bottomX': 0.5, 'bottomY': 0.6}}])
    f.add('polygon + box keys (box keys ignored, box = polygon extent)',
          [box(polygon=[[0.2, 0.2, 0.7, 0.2, 0.7, 0.7]])])
    f.add('polygon only, no box keys', [poly()])
    f.add('polygon null + valid box keys', [box(polygon=None)])
    f.add('polygon [] + valid box keys', [box(polygon=[])])
    f.add('polygon false + valid box keys (labels.get() is False -> box used)', [box(polygon=False)])
    f.add('polygon 0 + valid box keys', [box(polygon=0)])
    f.add('polygon valid + out-of-range box keys (box ignored)', [box(x0=5, x1=9, polygon=[list(SQ)])])
    f.add('polygon with a 2-point segment among valid ones (OD)', [box(polygon=[list(SQ), [0.2, 0.2, 0.3, 0.3]])])
    f.add('polygon whose only segment is out of range (OD)', [box(polygon=[[0.1, 0.1, 1.5, 0.1, 1.5, 0.5]])])
    f.add('polygon flat list, first value non-zero (OD)', [box(polygon=list(SQ))])
    f.add('polygon odd number of values (OD)', [box(polygon=[[0.1, 0.1, 0.5, 0.1, 0.5]])])
    duplicate_cases(f, [box('cat')], [box('dog', x0=0.6, x1=0.9)], [box('cat')])
    f.add('duplicate of the background line: 1st ([])', [], url='AmlDatastore://ds/od/dup_c.jpg')
    f.add('duplicate: 2nd line for the same image with a box', [box('cat')], url='AmlDatastore://ds/od/dup_c.jpg')

    f = new('od_clean', 'object detection: all lines clean')
    for i in range(8):
        cls = ['cat', 'dog', 'bird'][i % 3]
        lab = [box(cls, isCrowd=0)] if i % 4 else [box(cls), box('dog', 0.55, 0.6, 0.9, 0.95)]
        f.add('clean line', lab, details={'format': 'jpg', 'width': 640, 'height': 480})
    f.add('clean background line', [])

    common_small_od('od', box)


def common_small_od(t, A):
    f = new(t + '_intlabels', 'int class labels only: crash R-CNN ("--bg--" sort)' +
            (', fine for yolov5/retinanet' if t == 'od' else ' (Mask R-CNN is the only IS model)'))
    f.add('int class 0', [A(0)]).add('int class 1', [A(1)]).add('int class 2', [A(2)])
    f.add('two int classes', [A(1), A(2)]).add('background', [])

    f = new(t + '_boollabels', 'boolean class labels only (bool passes as int)')
    f.add('class true', [A(True)]).add('class false', [A(False)]).add('class true again', [A(True)])

    f = new(t + '_mixed', 'str and int class labels in one file -> "More than one type found"')
    f.add('str class', [A('cat')]).add('str class', [A('dog')]).add('int class among str classes', [A(3)])

    f = new(t + '_allbackground', 'every image is a background image -> "No objects in dataset"')
    for _ in range(3):
        f.add('background', [])

    f = new(t + '_allinvalid', 'no image survives -> "All annotations provided are ill-formed"')
    f.add('out-of-range annotation', [A('cat', **({'x1': 1.5} if A is box else
                                                    {'polygon': [[0.1, 0.1, 1.5, 0.1, 1.5, 0.5]]}))])
    f.add('label not a list', 'cat')
    f.add('invalid image_url', [A('cat')], url='images/x.jpg')

    f = new(t + '_single', 'a single image (used for both training and validation)')
    f.add('the only line', [A('cat')])

    f = new(t + '_nolabelcol', 'no line has a label key (label column missing)')
    f.add('no label key', MISSING).add('no label key', MISSING).add('no label key', MISSING)

    f = new(t + '_reject', 'per-line exceptions Azure does not catch (the job fails), with clean neighbours')
    f.add('clean line', [A('cat')])
    f.add('isCrowd [] (unhashable)', [A('cat', isCrowd=[])])
    f.add('isCrowd {} (unhashable)', [A('cat', isCrowd={})])
    f.add('isCrowd [1] (unhashable)', [A('dog', isCrowd=[1])])
    f.add('polygon is a non-empty dict (KeyError 0)', [A('cat', polygon={'0': [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]})])
    f.add('clean line', [A('dog')])
    f.add('isCrowd [] on a line whose image_url is invalid (existence check comes first: dropped, no crash)',
          [A('cat', isCrowd=[])], url='images/{t}_case_{n}.jpg')
    f.add('int class label on a line whose image_url is invalid (dropped before classes are collected)',
          [A(7)], url='AMLDATASTORE://ds/{t}/case_{n}.jpg')

    f = new(t + '_bgsort', 'class names that sort before "--bg--" (R-CNN background index 0)')
    for c in ['cat', ' cat', '', '-', '--a', '--bg--', '!x', '+x', '-a', '--bg', '--bg--x', 'Zebra', '0']:
        f.add('class %s' % json.dumps(c), [A(c)])


# ---------------------------------------------------------------------------------------------------------
# instance segmentation (§4, masks required)
# ---------------------------------------------------------------------------------------------------------
def build_is():
    f = new('is', 'instance segmentation: every per-line behaviour; all valid classes are strings')
    url_and_toplevel_cases(f)
    od_annotation_cases(f, masks=True)
    f.add('triangle: 6 numbers, the minimum', [poly(polygon=[list(TRI)])])
    f.add('two segments', [poly(polygon=[list(SQ), list(TRI)])])
    f.add('polygon + box keys (box keys ignored)', [poly(topX=0.0, topY=0.0, bottomX=1.0, bottomY=1.0)])
    f.add('polygon + garbage box keys (never parsed)', [poly(topX='abc', topY=None, bottomX=[1], bottomY={})])
    f.add('box-only annotation (no polygon)', [box()])
    f.add('box-only annotation + valid polygon annotation', [poly('cat'), box('dog')])
    f.add('polygon false + box keys', [box(polygon=False)])
    f.add('odd count: 7 values', [poly(polygon=[[0.1, 0.1, 0.5, 0.1, 0.5, 0.5, 0.1]])])
    f.add('odd count: 3 values [x,y,x]', [poly(polygon=[[0.1, 0.1, 0.5]])])
    f.add('odd-count segment after a valid one', [poly(polygon=[list(SQ), [0.6, 0.6, 0.9]])])
    f.add('only segment has 4 values (2 points)', [poly(polygon=[[0.1, 0.1, 0.5, 0.5]])])
    f.add('2-point segment among valid ones', [poly(polygon=[list(SQ), [0.6, 0.6, 0.9, 0.9]])])
    f.add('out-of-range segment among valid ones', [poly(polygon=[list(SQ), [0.6, 0.6, 1.2, 0.6, 1.2, 0.9]])])
    f.add('negative-value segment among valid ones', [poly(polygon=[list(SQ), [-0.1, 0.6, 0.9, 0.6, 0.9, 0.9]])])
    f.add('only segment out of range (1.2)', [poly(polygon=[[0.6, 0.6, 1.2, 0.6, 1.2, 0.9]])])
    f.add('pixel-coordinate polygon', [poly(polygon=[[10, 10, 200, 10, 200, 150]])])
    f.add('exact 0/1 full-image polygon', [poly(polygon=[[0, 0, 1, 0, 1, 1, 0, 1]])])
    f.add('numeric strings in the polygon', [poly(polygon=[['0.1', '0.1', '0.5', '0.1', '0.5', '0.5']])])
    f.add('one string among numbers', [poly(polygon=[[0.1, 0.1, 0.5, '0.1', 0.5, 0.5]])])
    f.add('"nan" string in polygon', [poly(polygon=[['nan', 0.1, 0.5, 0.1, 0.5, 0.5]])])
    f.add('booleans in the polygon', [poly(polygon=[[True, False, 0.5, 0.1, 0.5, 0.5]])])
    f.add('flat list, first value non-zero', [poly(polygon=list(SQ))])
    f.add('flat list, first value zero', [poly(polygon=[0, 0.1, 0.5, 0.1, 0.5, 0.5])])
    f.add('polygon null', [poly(polygon=None)])
    f.add('polygon []', [poly(polygon=[])])
    f.add('polygon [[]]', [poly(polygon=[[]])])
    f.add('polygon [[], [valid]] (first segment empty)', [poly(polygon=[[], list(SQ)])])
    f.add('polygon [[valid], []] (last segment empty)', [poly(polygon=[list(SQ), []])])
    f.add('polygon {} (empty dict)', [poly(polygon={})])
    f.add('polygon a string', [poly(polygon='0.1,0.1,0.5,0.1,0.5,0.5')])
    f.add('polygon as 3 [x,y] point pairs', [poly(polygon=[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]])])
    f.add('polygon as 4 [x,y] point pairs', [poly(polygon=[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]])])
    f.add('polygon nested one level too deep', [poly(polygon=[[list(SQ)]])])
    f.add('zero-width polygon (vertical collinear)', [poly(polygon=[[0.3, 0.1, 0.3, 0.5, 0.3, 0.9]])])
    f.add('zero-height polygon (horizontal collinear)', [poly(polygon=[[0.1, 0.4, 0.5, 0.4, 0.9, 0.4]])])
    f.add('collinear diagonal polygon (zero area, non-zero box)', [poly(polygon=[[0.1, 0.1, 0.5, 0.5, 0.9, 0.9]])])
    f.add('valid polygon + out-of-range-only annotation', [poly('cat'), poly('dog', polygon=[[0.5, 0.5, 1.5, 0.5, 1.5, 1.5]])])
    duplicate_cases(f, [poly('cat')], [poly('dog', polygon=[list(TRI)])], [poly('cat')])

    f = new('is_clean', 'instance segmentation: all lines clean')
    for i in range(8):
        cls = ['cat', 'dog', 'bird'][i % 3]
        lab = [poly(cls, isCrowd=0)] if i % 4 else [poly(cls), poly('dog', polygon=[list(TRI)])]
        f.add('clean line', lab, details={'format': 'jpg', 'width': 640, 'height': 480})
    f.add('clean background line', [])

    common_small_od('is', poly)


# ---------------------------------------------------------------------------------------------------------
# the JSONL reader itself (§1) and BOM/CRLF
# ---------------------------------------------------------------------------------------------------------
def build_reader(t):
    lab = json.dumps(default_label(t))
    f = new(t + '_reader', 'JSONL reader (dataprep read_json_lines) edge cases')
    f.raw('valid line', '{"image_url": "{url}", "label": %s}' % lab)
    f.raw('NaN literal', '{"image_url": "{url}", "label": %s, "score": NaN}' % lab)
    f.raw('Infinity literal', '{"image_url": "{url}", "label": %s, "score": Infinity}' % lab)
    f.raw('-Infinity literal', '{"image_url": "{url}", "label": %s, "score": -Infinity}' % lab)
    f.raw('missing comma', '{"image_url": "{url}" "label": %s}' % lab)
    f.raw('single quotes', "{'image_url': '{url}', 'label': 'cat'}")
    f.raw('truncated line', '{"image_url": "{url}", "label": ')
    f.raw('trailing comma', '{"image_url": "{url}", "label": %s,}' % lab)
    f.raw('comment line', '# {url}')
    f.raw('duplicate top-level key "label"', '{"image_url": "{url}", "label": %s, "label": %s}' % (lab, lab))
    f.raw('duplicate key in a nested object', '{"image_url": "{url}", "label": %s, '
          '"image_details": {"width": 1, "width": 2}}' % lab)
    f.raw('trailing garbage after the object', '{"image_url": "{url}", "label": %s} trailing' % lab)
    f.raw('two objects on one line', '{"image_url": "{url}", "label": %s} {"image_url": "{url}x", "label": %s}'
          % (lab, lab))
    f.raw('integer beyond int64 in an extra key', '{"image_url": "{url}", "label": %s, "id": 12345678901234567890}'
          % lab)
    f.raw('JSON array instead of an object', '["{url}", %s]' % lab)
    f.raw('JSON null line', 'null')
    f.raw('blank line', '')
    f.raw('whitespace-only line', '   ')
    f.raw('empty object {}', '{}')
    f.raw('leading whitespace before the object', '    {"image_url": "{url}", "label": %s}' % lab)
    f.raw('valid line', '{"image_url": "{url}", "label": %s}' % lab)

    f = new(t + '_bom_crlf', 'UTF-8 BOM at file start and CRLF line ends', bom_crlf=True)
    for _ in range(3):
        f.add('valid line (file has BOM + CRLF)', default_label(t))


def build_all():
    build_mc()
    build_ml()
    build_od()
    build_is()
    for t in ('mc', 'ml', 'od', 'is'):
        build_reader(t)


def main():
    build_all()
    index = {}
    for f in FILES:
        path = os.path.join(HERE, f.stem + '.jsonl')
        with open(path, 'w', encoding='utf-8', newline='') as fh:
            fh.write(f.render())
        index[f.stem] = {'task': f.task, 'models': MODELS[f.task], 'purpose': f.purpose,
                         'cases': [d for d, _ in f.lines]}
    with open(os.path.join(HERE, 'cases.json'), 'w', encoding='utf-8') as fh:
        json.dump(index, fh, indent=1, ensure_ascii=False)
        fh.write('\n')
    per_task = {}
    for f in FILES:
        per_task.setdefault(f.task, [0, 0])
        per_task[f.task][0] += 1
        per_task[f.task][1] += len(f.lines)
    for t, (nf, nl) in per_task.items():
        print('%s: %d files, %d lines' % (t, nf, nl), file=sys.stderr)


if __name__ == '__main__':
    main()
