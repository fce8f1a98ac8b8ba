/* The learned model's hot path in C: an item's words, stems and word pairs looked up in the
 * model's vocabulary and their weights summed, one call per item.
 *
 * ``model.py`` holds the reference in Python (``TagModel._rows_of`` and ``_probabilities``);
 * this computes the same logits, and ``tests/unit/test_kernel.py`` checks that it does on
 * every labelled item and every real feed item. Words are cut exactly as ``features.words``
 * cuts them, because the character classes are CPython's own: a run of decimal digits
 * (``\d``) is one "#", and a word is a run of "#", "_" and alphanumeric characters
 * (``[\w#]+``).
 *
 * Why not the model's own dictionaries: looking a word up in a Python dict needs a str
 * object per word, stem and pair (about 170 an item), and each probe of those large tables
 * misses the cache several times (index, entry, key, value). Here each feature is a 64-bit
 * hash of its kind and code points in one open-addressing table of (hash, row) slots: no
 * object is made per word and a look-up touches one slot. Two vocabulary features with the
 * same hash are refused when the table is built (the caller then uses Python); a word of an
 * item sharing a hash with a different feature has odds of about 2^-45 per item.
 *
 * Not thread-safe by design: one ``Features`` per model, used under the GIL.
 */
#include "_kernel.h"
#include <stdint.h>

#define API_VERSION 7
#define STEM 5              /* a stem: the first five characters of a longer word (features.py) */
#define PAIR_SEP 0x110000u  /* between a pair's two words: no code point has this value */
enum kind { WORD = 1, STEM_KIND, PAIR, TITLE_WORD };

typedef struct {
    uint64_t hash; /* 0: empty */
    Py_ssize_t row;
} Slot;

typedef struct {
    Py_ssize_t start, length;
} Span;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    uint64_t mask;
    Py_buffer weights;    /* float64, rows x tags, C-contiguous */
    Py_buffer intercepts; /* float64, tags */
    Py_ssize_t rows, tags;
    unsigned char *seen; /* a byte per row: each feature counts once */
    Py_ssize_t *found, found_cap;
    Py_UCS4 *chars;
    Py_ssize_t chars_cap;
    Span *spans;
    Py_ssize_t spans_cap;
    uint64_t *hashes; /* an item's feature hashes, looked up once all are known */
    Py_ssize_t hashes_cap;
    double *sums; /* a logit per tag */
    Py_buffer marks; /* a bit per code point: Unicode's combining marks (features.mark_ranges) */
} Features;

/* Slots looked up this many features ahead are asked for in advance: the table (megabytes)
 * is mostly outside the core's caches, and a look-up waited for each slot in turn (an item's
 * scoring took twice as long on fresh items as on one just scored). */
#define AHEAD 16

static inline uint64_t
hash_chars(uint64_t h, const Py_UCS4 *chars, Py_ssize_t length)
{
    for (Py_ssize_t i = 0; i < length; i++)
        h = mix(h, chars[i]);
    return h;
}

static uint64_t
hash_str(uint64_t h, PyObject *text, Py_ssize_t length)
{
    return mix_units(h, PyUnicode_KIND(text), PyUnicode_DATA(text), 0, length);
}

#define START(kind) mix(FNV_START, (kind))

static int
insert(Features *self, uint64_t hash, Py_ssize_t row)
{
    for (uint64_t i = hash & self->mask;; i = (i + 1) & self->mask) {
        Slot *slot = &self->slots[i];
        if (slot->hash == 0) {
            slot->hash = hash;
            slot->row = row;
            return 0;
        }
        if (slot->hash == hash) {
            PyErr_SetString(PyExc_ValueError, "two vocabulary features share a hash");
            return -1;
        }
    }
}

static inline Py_ssize_t
lookup(const Features *self, uint64_t hash)
{
    for (uint64_t i = hash & self->mask;; i = (i + 1) & self->mask) {
        const Slot *slot = &self->slots[i];
        if (slot->hash == hash)
            return slot->row;
        if (slot->hash == 0)
            return -1;
    }
}

/* File every key of one of the model's look-ups (str keys, or (str, str) pairs). */
static int
insert_table(Features *self, PyObject *table, enum kind kind)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        Py_ssize_t row = PyLong_AsSsize_t(value);
        if (row == -1 && PyErr_Occurred())
            return -1;
        if (row < 0 || row >= self->rows) {
            PyErr_Format(PyExc_ValueError, "row %zd is outside the weights (%zd rows)", row,
                         self->rows);
            return -1;
        }
        uint64_t h = START(kind);
        if (kind == PAIR) {
            PyObject *a, *b;
            if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2 ||
                !PyUnicode_Check(a = PyTuple_GET_ITEM(key, 0)) ||
                !PyUnicode_Check(b = PyTuple_GET_ITEM(key, 1))) {
                PyErr_SetString(PyExc_TypeError, "pairs are keyed by (str, str)");
                return -1;
            }
            h = hash_str(h, a, PyUnicode_GET_LENGTH(a));
            h = hash_str(mix(h, PAIR_SEP), b, PyUnicode_GET_LENGTH(b));
        }
        else {
            if (!PyUnicode_Check(key)) {
                PyErr_SetString(PyExc_TypeError, "words and stems are keyed by str");
                return -1;
            }
            h = hash_str(h, key, PyUnicode_GET_LENGTH(key));
        }
        if (insert(self, finish(h), row) < 0)
            return -1;
    }
    return 0;
}

/* A combining mark (a Bengali or Devanagari vowel sign, an accent written apart) is part of
 * the word it is written in, as features._WORD says; Py_UNICODE_ISALNUM leaves marks out. */
static inline int
is_mark(const Features *self, Py_UCS4 ch)
{
    const unsigned char *bits = self->marks.buf;
    return (Py_ssize_t)(ch >> 3) < self->marks.len && (bits[ch >> 3] >> (ch & 7)) & 1;
}

/* Cut a lower-cased text into words (as features.words does) in self->chars from ``at``;
 * their spans are appended from ``*spans``. Returns the next free char, or -1. */
static Py_ssize_t
cut(Features *self, PyObject *text, Py_ssize_t at, Py_ssize_t *spans)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (grow((void **)&self->chars, &self->chars_cap, at + n + 1, sizeof(Py_UCS4)) < 0)
        return -1;
    Py_ssize_t start = at, end = at;
    int in_digits = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        Py_UCS4 ch = i < n ? PyUnicode_READ(kind, data, i) : ' ';
        if (i < n && Py_UNICODE_ISDECIMAL(ch)) {
            if (!in_digits)
                self->chars[end++] = '#';
            in_digits = 1;
            continue;
        }
        in_digits = 0;
        if (i < n && (ch == '#' || ch == '_' || Py_UNICODE_ISALNUM(ch) || is_mark(self, ch))) {
            self->chars[end++] = ch;
            continue;
        }
        if (end == start)
            continue;
        if (grow((void **)&self->spans, &self->spans_cap, *spans + 1, sizeof(Span)) < 0)
            return -1;
        self->spans[(*spans)++] = (Span){start, end - start};
        start = end;
    }
    return end;
}

static inline int
note(Features *self, uint64_t hash, Py_ssize_t *count)
{
    Py_ssize_t row = lookup(self, hash);
    if (row < 0 || self->seen[row])
        return 0;
    if (grow((void **)&self->found, &self->found_cap, *count + 1, sizeof(Py_ssize_t)) < 0)
        return -1;
    self->seen[row] = 1;
    self->found[(*count)++] = row;
    return 0;
}

/* The hashes of one field's features (words, title words, stems, pairs of its words in spans
 * [first, last)), appended from ``*count`` in the order they are looked up. */
static int
hash_field(Features *self, Py_ssize_t first, Py_ssize_t last, int title, Py_ssize_t *count)
{
    /* at most four features a word */
    if (grow((void **)&self->hashes, &self->hashes_cap, *count + 4 * (last - first),
             sizeof(uint64_t)) < 0)
        return -1;
    uint64_t *out = self->hashes + *count;
    for (Py_ssize_t i = first; i < last; i++) {
        const Py_UCS4 *word = self->chars + self->spans[i].start;
        Py_ssize_t length = self->spans[i].length;
        *out++ = finish(hash_chars(START(WORD), word, length));
        if (title)
            *out++ = finish(hash_chars(START(TITLE_WORD), word, length));
        if (length > STEM)
            *out++ = finish(hash_chars(START(STEM_KIND), word, STEM));
        if (i > first) {
            const Py_UCS4 *before = self->chars + self->spans[i - 1].start;
            uint64_t h = hash_chars(START(PAIR), before, self->spans[i - 1].length);
            *out++ = finish(hash_chars(mix(h, PAIR_SEP), word, length));
        }
    }
    *count = out - self->hashes;
    return 0;
}

PyDoc_STRVAR(logits_doc,
             "logits(title, lead, rows) -> tuple of one logit per tag\n\n"
             "``title`` and ``lead``: lower-cased; ``rows``: further feature rows (the framing "
             "classes), each counted once with the rest.");

static PyObject *
Features_logits(Features *self, PyObject *args)
{
    PyObject *title, *lead, *extra;
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Features was not initialised");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "UUO:logits", &title, &lead, &extra))
        return NULL;
    PyObject *extra_fast = PySequence_Fast(extra, "rows must be a sequence of ints");
    if (extra_fast == NULL)
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t count = 0, spans = 0, title_spans, hashes = 0;
    Py_ssize_t at = cut(self, title, 0, &spans);
    title_spans = spans;
    if (at < 0 || cut(self, lead, at, &spans) < 0)
        goto done;
    if (hash_field(self, 0, title_spans, 1, &hashes) < 0 ||
        hash_field(self, title_spans, spans, 0, &hashes) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < hashes; k++) {
        if (k + AHEAD < hashes)
            __builtin_prefetch(&self->slots[self->hashes[k + AHEAD] & self->mask]);
        if (note(self, self->hashes[k], &count) < 0)
            goto done;
    }
    Py_ssize_t extras = PySequence_Fast_GET_SIZE(extra_fast);
    for (Py_ssize_t i = 0; i < extras; i++) {
        Py_ssize_t row = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(extra_fast, i));
        if (row == -1 && PyErr_Occurred())
            goto done;
        if (row < 0 || row >= self->rows) {
            PyErr_Format(PyExc_ValueError, "row %zd is outside the weights", row);
            goto done;
        }
        if (!self->seen[row]) {
            if (grow((void **)&self->found, &self->found_cap, count + 1, sizeof(Py_ssize_t)) < 0)
                goto done;
            self->seen[row] = 1;
            self->found[count++] = row;
        }
    }
    result = PyTuple_New(self->tags);
    if (result == NULL)
        goto done;
    const double *weights = (const double *)self->weights.buf;
    const double *intercepts = (const double *)self->intercepts.buf;
    Py_ssize_t tags = self->tags;
    /* Row by row, each tag's sum in the same order as a sum per tag: the same logits. */
    for (Py_ssize_t t = 0; t < tags; t++)
        self->sums[t] = 0.0;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k + AHEAD < count)
            __builtin_prefetch(&weights[self->found[k + AHEAD] * tags]);
        const double *row = &weights[self->found[k] * tags];
        for (Py_ssize_t t = 0; t < tags; t++)
            self->sums[t] += row[t];
    }
    for (Py_ssize_t t = 0; t < tags; t++) {
        double sum = self->sums[t];
        PyObject *value = PyFloat_FromDouble(intercepts[t] + sum);
        if (value == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, t, value);
    }
done:
    for (Py_ssize_t k = 0; k < count; k++)
        self->seen[self->found[k]] = 0;
    Py_DECREF(extra_fast);
    return result;
}

PyDoc_STRVAR(words_doc, "words(lowered) -> list of str, as features.words cuts a lower-cased text");

static PyObject *
Features_words(Features *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "words() needs a str");
        return NULL;
    }
    Py_ssize_t spans = 0;
    if (cut(self, text, 0, &spans) < 0)
        return NULL;
    PyObject *list = PyList_New(spans);
    for (Py_ssize_t i = 0; list != NULL && i < spans; i++) {
        PyObject *word = PyUnicode_FromKindAndData(
            PyUnicode_4BYTE_KIND, self->chars + self->spans[i].start, self->spans[i].length);
        if (word == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, word);
    }
    return list;
}

static int
Features_init(Features *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"words", "title_words", "stems", "pairs", "weights", "intercepts",
                               "marks", NULL};
    PyObject *words, *title_words, *stems, *pairs, *weights, *intercepts, *marks;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O!O!OOO:Features", keywords, &PyDict_Type,
                                     &words, &PyDict_Type, &title_words, &PyDict_Type, &stems,
                                     &PyDict_Type, &pairs, &weights, &intercepts, &marks))
        return -1;
    if (self->slots != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Features is initialised once");
        return -1;
    }
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND;
    if (PyObject_GetBuffer(weights, &self->weights, flags) < 0)
        return -1;
    if (PyObject_GetBuffer(intercepts, &self->intercepts, flags) < 0)
        return -1;
    if (PyObject_GetBuffer(marks, &self->marks, PyBUF_SIMPLE) < 0)
        return -1;
    const char *wf = self->weights.format, *bf = self->intercepts.format;
    if (self->weights.ndim != 2 || self->intercepts.ndim != 1 || strcmp(wf ? wf : "B", "d") != 0 ||
        strcmp(bf ? bf : "B", "d") != 0 || self->weights.shape[1] != self->intercepts.shape[0]) {
        PyErr_SetString(PyExc_ValueError,
                        "weights must be float64 rows x tags and intercepts float64 of tags");
        return -1;
    }
    self->rows = self->weights.shape[0];
    self->tags = self->weights.shape[1];
    self->seen = PyMem_Calloc(self->rows ? (size_t)self->rows : 1, 1);
    self->sums = PyMem_Calloc(self->tags ? (size_t)self->tags : 1, sizeof(double));
    Py_ssize_t entries =
        PyDict_GET_SIZE(words) + PyDict_GET_SIZE(title_words) + PyDict_GET_SIZE(stems) +
        PyDict_GET_SIZE(pairs);
    uint64_t capacity = 1024;
    while (capacity < (uint64_t)entries * 2) /* at most half full: short probe runs */
        capacity <<= 1;
    self->slots = PyMem_Calloc(capacity, sizeof(Slot));
    if (self->seen == NULL || self->slots == NULL || self->sums == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = capacity - 1;
    if (insert_table(self, words, WORD) < 0 || insert_table(self, title_words, TITLE_WORD) < 0 ||
        insert_table(self, stems, STEM_KIND) < 0 || insert_table(self, pairs, PAIR) < 0)
        return -1;
    return 0;
}

static void
Features_dealloc(Features *self)
{
    if (self->weights.obj != NULL)
        PyBuffer_Release(&self->weights);
    if (self->intercepts.obj != NULL)
        PyBuffer_Release(&self->intercepts);
    if (self->marks.obj != NULL)
        PyBuffer_Release(&self->marks);
    PyMem_Free(self->slots);
    PyMem_Free(self->seen);
    PyMem_Free(self->found);
    PyMem_Free(self->chars);
    PyMem_Free(self->spans);
    PyMem_Free(self->hashes);
    PyMem_Free(self->sums);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Features_methods[] = {
    {"logits", (PyCFunction)Features_logits, METH_VARARGS, logits_doc},
    {"words", (PyCFunction)Features_words, METH_O, words_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FeaturesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "newswatch.classifier._kernel.Features",
    .tp_doc = PyDoc_STR("A model's vocabulary and weights, ready to score items."),
    .tp_basicsize = sizeof(Features),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Features_init,
    .tp_dealloc = (destructor)Features_dealloc,
    .tp_methods = Features_methods,
};

/* Kafka's murmur2 of a record key (org.apache.kafka.common.utils.Utils.murmur2, which every
   Kafka client's default partitioner uses): the classifier's producer picks each output's
   partition with it, as aiokafka's DefaultPartitioner does in Python. */
static PyObject *
kernel_murmur2(PyObject *module, PyObject *key)
{
    Py_buffer view;
    if (PyObject_GetBuffer(key, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *data = view.buf;
    const Py_ssize_t length = view.len;
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28cu ^ (uint32_t)length;
    Py_ssize_t i = 0;
    for (; i + 4 <= length; i += 4) {
        uint32_t k = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
                     (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h = h * m ^ k;
    }
    switch (length - i) {
    case 3: h ^= (uint32_t)data[i + 2] << 16; /* fall through */
    case 2: h ^= (uint32_t)data[i + 1] << 8;  /* fall through */
    case 1: h ^= data[i]; h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(h);
}

static PyMethodDef kernel_functions[] = {
    {"sentences", kernel_sentences, METH_O,
     "sentences(text) -> list[tuple[int, str]]: text.sentences of a str."},
    {"murmur2", kernel_murmur2, METH_O,
     "murmur2(key: bytes) -> int: Kafka's murmur2 of a key, as aiokafka.partitioner.murmur2."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, .m_name = "newswatch.classifier._kernel",
    .m_methods = kernel_functions,
    .m_doc = PyDoc_STR("The classifier's hot paths in C: the model's features (Features) and "
                       "the literal search of rules, gate and framing (Automaton), language detection "
                       "(Detector), sentence splitting (sentences) and Kafka's key hash (murmur2)."),
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__kernel(void)
{
    if (PyType_Ready(&FeaturesType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&kernel_module);
    if (module == NULL)
        return NULL;
    if (PyType_Ready(&AutomatonType) < 0 || PyType_Ready(&DetectorType) < 0 ||
        PyModule_AddIntConstant(module, "API_VERSION", API_VERSION) < 0 ||
        PyModule_AddObjectRef(module, "Features", (PyObject *)&FeaturesType) < 0 ||
        PyModule_AddObjectRef(module, "Automaton", (PyObject *)&AutomatonType) < 0 ||
        PyModule_AddObjectRef(module, "Detector", (PyObject *)&DetectorType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
