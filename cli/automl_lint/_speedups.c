/* Optional native helpers; each has a pure-Python equivalent where it is used (automl_lint.express,
 * automl_lint.rules.dataset), used when this module is not built, and tests/test_speedups.py compares the two.
 *
 * plain_segment(segment) -> bool
 *     True when a polygon segment (a list of an even number >= 6 of values) is the common case that needs no
 *     further look: every value an exact float strictly inside (0, 1), and no extreme of either axis standing
 *     apart from the next value by more than a fifth of the axis' span (stray_vertex's first test, with its
 *     arithmetic), over the segment's points (a closed ring's repeated first point counted once).
 *     False means "not sure": the caller then runs the full Python check, which decides.
 *
 * distinct(hashes) -> bool
 *     Whether the 64-bit integers of ``hashes`` (an array('q'), or any C-contiguous buffer of 8-byte items) are
 *     all different: ``len(set(hashes)) == len(hashes)`` without a Python int and a set entry per item (16 bytes
 *     per item while it runs, against the set's ~40).
 *
 * stat_names(folder_fd, names) -> list   (Linux only)
 *     For each name of a list of str, what automl_lint.images.storage._stat_names_py answers: (st_size,
 *     str(st_mtime_ns)) of a regular file this process may read, looked up in the open folder without following
 *     a link (fstatat with AT_SYMLINK_NOFOLLOW; readable by the owner's read bit for its owner, else faccessat),
 *     and None for anything else (missing, a link, not a regular file, unreadable, a name that cannot be encoded
 *     or holds a NUL byte). os.stat makes a stat_result object per file; this makes the tuple only. Ctrl-C is
 *     heard every 1,024 names (a slow network folder).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __linux__
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

typedef struct {
    double lo, lo2, hi, hi2; /* the smallest, second smallest, largest and second largest value */
} Extremes;

static void extremes_init(Extremes *e) {
    e->lo = e->lo2 = 2.0;
    e->hi = e->hi2 = -1.0;
}

static void extremes_add(Extremes *e, double v) {
    /* As in a sorted list: a repeated extreme is also the second one. */
    if (v < e->lo) {
        e->lo2 = e->lo;
        e->lo = v;
    } else if (v < e->lo2) {
        e->lo2 = v;
    }
    if (v > e->hi) {
        e->hi2 = e->hi;
        e->hi = v;
    } else if (v > e->hi2) {
        e->hi2 = v;
    }
}

static int no_extreme_apart(const Extremes *e) {
    double gap = (e->hi - e->lo) * 0.2;
    return e->lo2 - e->lo <= gap && e->hi - e->hi2 <= gap;
}

static PyObject *plain_segment(PyObject *self, PyObject *segment) {
    (void)self;
    if (!PyList_CheckExact(segment)) {
        Py_RETURN_FALSE;
    }
    Py_ssize_t size = PyList_GET_SIZE(segment);
    if (size < 6 || size % 2) {
        Py_RETURN_FALSE;
    }
    PyObject **items = ((PyListObject *)segment)->ob_item;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = items[i];
        if (!PyFloat_CheckExact(item)) {
            Py_RETURN_FALSE;
        }
        double v = PyFloat_AS_DOUBLE(item);
        if (!(0.0 < v && v < 1.0)) { /* NaN too */
            Py_RETURN_FALSE;
        }
    }
    Py_ssize_t n = size / 2;
    if (PyFloat_AS_DOUBLE(items[0]) == PyFloat_AS_DOUBLE(items[size - 2]) &&
        PyFloat_AS_DOUBLE(items[1]) == PyFloat_AS_DOUBLE(items[size - 1])) {
        n -= 1; /* a closed ring repeats its first point */
    }
    if (n < 4) {
        Py_RETURN_TRUE;
    }
    Extremes x, y;
    extremes_init(&x);
    extremes_init(&y);
    for (Py_ssize_t k = 0; k < n; k++) {
        extremes_add(&x, PyFloat_AS_DOUBLE(items[2 * k]));
        extremes_add(&y, PyFloat_AS_DOUBLE(items[2 * k + 1]));
    }
    if (no_extreme_apart(&x) && no_extreme_apart(&y)) {
        Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

/* Whether the n keys are all different. They are spread by their top bits into buckets of a few thousand (`tmp`
 * has room for n keys), and each bucket's keys are put in a small open-addressing table that stays in the cache:
 * two passes over the keys, each of them touched a few times. */
static int all_different(const uint64_t *keys, uint64_t *tmp, Py_ssize_t n) {
    int bits = 0;
    while (bits < 16 && ((Py_ssize_t)1 << bits) * 2048 < n) {
        bits++;
    }
    Py_ssize_t buckets = (Py_ssize_t)1 << bits;
    Py_ssize_t *start = PyMem_RawCalloc((size_t)buckets + 1, sizeof(Py_ssize_t));
    if (start == NULL) {
        return -1;
    }
    int shift = 64 - bits;
    for (Py_ssize_t i = 0; i < n; i++) {
        start[bits ? (keys[i] >> shift) + 1 : 1]++;
    }
    Py_ssize_t largest = 0;
    for (Py_ssize_t b = 0; b < buckets; b++) {
        if (start[b + 1] > largest) {
            largest = start[b + 1];
        }
        start[b + 1] += start[b];
    }
    Py_ssize_t *next = PyMem_RawMalloc((size_t)buckets * sizeof(Py_ssize_t));
    Py_ssize_t slots = 1;
    while (slots < 2 * largest) {
        slots <<= 1;
    }
    uint64_t *table = PyMem_RawMalloc((size_t)slots * sizeof(uint64_t));
    if (next == NULL || table == NULL) {
        PyMem_RawFree(start);
        PyMem_RawFree(next);
        PyMem_RawFree(table);
        return -1;
    }
    memcpy(next, start, (size_t)buckets * sizeof(Py_ssize_t));
    for (Py_ssize_t i = 0; i < n; i++) {
        tmp[next[bits ? keys[i] >> shift : 0]++] = keys[i];
    }
    int result = 1;
    for (Py_ssize_t b = 0; b < buckets && result; b++) {
        Py_ssize_t count = start[b + 1] - start[b];
        Py_ssize_t size = 1;
        while (size < 2 * count) {
            size <<= 1;
        }
        uint64_t mask = (uint64_t)size - 1;
        memset(table, 0, (size_t)size * sizeof(uint64_t));
        int zero = 0; /* 0 marks an empty slot: the key 0 is remembered apart */
        for (Py_ssize_t i = start[b]; i < start[b + 1]; i++) {
            uint64_t key = tmp[i];
            if (key == 0) {
                if (zero) {
                    result = 0;
                    break;
                }
                zero = 1;
                continue;
            }
            uint64_t slot = (key * 0x9E3779B97F4A7C15ull) >> 32 & mask; /* the low bits, mixed */
            while (table[slot] != 0 && table[slot] != key) {
                slot = (slot + 1) & mask;
            }
            if (table[slot] == key) {
                result = 0;
                break;
            }
            table[slot] = key;
        }
    }
    PyMem_RawFree(start);
    PyMem_RawFree(next);
    PyMem_RawFree(table);
    return result;
}

static PyObject *distinct(PyObject *self, PyObject *hashes) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(hashes, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    if (view.itemsize != 8 || view.len % 8) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "distinct() takes a buffer of 8-byte integers");
        return NULL;
    }
    Py_ssize_t n = view.len / 8;
    if (n < 2) {
        PyBuffer_Release(&view);
        Py_RETURN_TRUE;
    }
    uint64_t *keys = PyMem_RawMalloc((size_t)n * 2 * sizeof(uint64_t));
    if (keys == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    memcpy(keys, view.buf, (size_t)n * sizeof(uint64_t));
    PyBuffer_Release(&view);
    int answer;
    Py_BEGIN_ALLOW_THREADS
    answer = all_different(keys, keys + n, n);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(keys);
    if (answer < 0) {
        return PyErr_NoMemory();
    }
    return PyBool_FromLong(answer);
}

#ifdef __linux__
/* One name's answer (a new reference), or NULL with an exception set (only for what os.stat would raise past
 * _stat_names: a name that is not a str, no memory). */
static PyObject *stat_one(int fd, PyObject *name, uid_t me) {
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "stat_names() takes a list of str");
        return NULL;
    }
    PyObject *encoded = PyUnicode_EncodeFSDefault(name); /* as os.stat encodes a str path */
    if (encoded == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) { /* UnicodeEncodeError is a ValueError: None */
            return NULL;
        }
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    const char *path = PyBytes_AS_STRING(encoded);
    if ((Py_ssize_t)strlen(path) != PyBytes_GET_SIZE(encoded)) { /* a NUL byte: os.stat's ValueError */
        Py_DECREF(encoded);
        Py_RETURN_NONE;
    }
    struct stat st;
    int found, readable = 0;
    Py_BEGIN_ALLOW_THREADS
    found = fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    if (found) {
        readable = ((st.st_mode & S_IRUSR) && st.st_uid == me) || faccessat(fd, path, R_OK, 0) == 0;
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(encoded);
    if (!found || !readable) {
        Py_RETURN_NONE;
    }
    /* str(st_mtime_ns) as Python computes it: seconds * 10**9 + nanoseconds, with Python ints past 64 bits. */
    long long sec = (long long)st.st_mtim.tv_sec, nsec = (long long)st.st_mtim.tv_nsec, ns;
    PyObject *version;
    if (!__builtin_mul_overflow(sec, 1000000000LL, &ns) && !__builtin_add_overflow(ns, nsec, &ns)) {
        version = PyUnicode_FromFormat("%lld", ns);
    } else {
        version = NULL;
        PyObject *s = PyLong_FromLongLong(sec), *billion = PyLong_FromLong(1000000000L), *n = PyLong_FromLongLong(nsec);
        PyObject *scaled = s && billion ? PyNumber_Multiply(s, billion) : NULL;
        PyObject *total = scaled && n ? PyNumber_Add(scaled, n) : NULL;
        if (total != NULL) {
            version = PyObject_Str(total);
        }
        Py_XDECREF(s);
        Py_XDECREF(billion);
        Py_XDECREF(n);
        Py_XDECREF(scaled);
        Py_XDECREF(total);
    }
    if (version == NULL) {
        return NULL;
    }
    return Py_BuildValue("(LN)", (long long)st.st_size, version);
}

static PyObject *stat_names(PyObject *self, PyObject *args) {
    (void)self;
    int fd;
    PyObject *names;
    if (!PyArg_ParseTuple(args, "iO!:stat_names", &fd, &PyList_Type, &names)) {
        return NULL;
    }
    uid_t me = geteuid();
    Py_ssize_t n = PyList_GET_SIZE(names);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t i = 0;
    for (; i < n && i < PyList_GET_SIZE(names); i++) {
        if ((i & 1023) == 1023 && PyErr_CheckSignals() < 0) { /* Ctrl-C on a slow network folder */
            Py_DECREF(out);
            return NULL;
        }
        PyObject *name = PyList_GET_ITEM(names, i);
        Py_INCREF(name);
        PyObject *entry = stat_one(fd, name, me);
        Py_DECREF(name);
        if (entry == NULL) {
            Py_DECREF(out); /* its items not yet set are NULL: freeing the list skips them */
            return NULL;
        }
        PyList_SET_ITEM(out, i, entry);
    }
    for (; i < n; i++) { /* another thread shortened the list while a look-up waited: None for the rest */
        Py_INCREF(Py_None);
        PyList_SET_ITEM(out, i, Py_None);
    }
    return out;
}
#endif

static PyMethodDef methods[] = {
    {"distinct", distinct, METH_O, "Whether the 8-byte integers of a buffer (an array('q')) are all different."},
    {"plain_segment", plain_segment, METH_O,
     "True when a polygon segment needs no further look (exact floats inside (0, 1), no extreme apart)."},
#ifdef __linux__
    {"stat_names", stat_names, METH_VARARGS,
     "(size, str(mtime_ns)) of each readable regular file named in the open folder, None for anything else."},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "automl_lint._speedups", "Optional native helpers (see _speedups.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    return PyModule_Create(&module);
}
