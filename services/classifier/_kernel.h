/* What the C files of the classifier's kernel share (see _kernel.c and _literals.c). */
#ifndef NEWSWATCH_KERNEL_H
#define NEWSWATCH_KERNEL_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Grow ``*block`` (``*cap`` elements of ``size`` bytes) to hold ``need``; -1 with
 * MemoryError set when it cannot. */
static inline int
grow(void **block, Py_ssize_t *cap, Py_ssize_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    Py_ssize_t cap2 = need < 256 ? 256 : need * 2;
    void *grown = PyMem_Realloc(*block, (size_t)cap2 * size);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *block = grown;
    *cap = cap2;
    return 0;
}

extern PyTypeObject AutomatonType; /* _literals.c */

#endif
