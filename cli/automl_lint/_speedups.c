/* Optional native helpers for the express lane (automl_lint.express); each has a pure-Python equivalent there,
 * used when this module is not built, and tests/test_speedups.py compares the two.
 *
 * plain_segment(segment) -> bool
 *     True when a polygon segment (a list of an even number >= 6 of values) is the common case that needs no
 *     further look: every value an exact float strictly inside (0, 1), and no extreme of either axis standing
 *     apart from the next value by more than a fifth of the axis' span (stray_vertex's first test, with its
 *     arithmetic), over the segment's points (a closed ring's repeated first point counted once).
 *     False means "not sure": the caller then runs the full Python check, which decides.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

static PyMethodDef methods[] = {
    {"plain_segment", plain_segment, METH_O,
     "True when a polygon segment needs no further look (exact floats inside (0, 1), no extreme apart)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "automl_lint._speedups", "Optional native helpers for automl_lint.express.", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    return PyModule_Create(&module);
}
