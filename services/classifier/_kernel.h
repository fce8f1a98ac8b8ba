/* What the C files of the classifier's kernel share (see _kernel.c and _literals.c). */
#ifndef NEWSWATCH_KERNEL_H
#define NEWSWATCH_KERNEL_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define FNV_START 0xcbf29ce484222325ull

/* FNV-1a over 32-bit units, then a finaliser that spreads it over every bit
 * (0 is never a hash: it marks an empty slot). */
static inline uint64_t
mix(uint64_t h, uint32_t unit)
{
    return (h ^ unit) * 0x100000001b3ull;
}

static inline uint64_t
finish(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h ? h : 1;
}

/* ``mix`` over ``length`` code points of a str's data from ``start``. */
static inline uint64_t
mix_units(uint64_t h, int kind, const void *data, Py_ssize_t start, Py_ssize_t length)
{
    for (Py_ssize_t i = start; i < start + length; i++)
        h = mix(h, PyUnicode_READ(kind, data, i));
    return h;
}


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
extern PyTypeObject DetectorType;  /* _language.c */
PyObject *kernel_sentences(PyObject *module, PyObject *text); /* _text.c */

#endif
