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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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

static PyMethodDef methods[] = {
    {"distinct", distinct, METH_O, "Whether the 8-byte integers of a buffer (an array('q')) are all different."},
    {"plain_segment", plain_segment, METH_O,
     "True when a polygon segment needs no further look (exact floats inside (0, 1), no extreme apart)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "automl_lint._speedups", "Optional native helpers (see _speedups.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    return PyModule_Create(&module);
}
