/* Language detection in C: ``language.detect_lowered`` for a lower-cased sample, one call.
 *
 * ``language.py`` holds the reference and the tables (stopwords, letter hints); this type is
 * built from those tables and decides as the reference does, step for step:
 *
 * - the sample's first 40 words (``[\w'’]+``, CPython's own character classes);
 * - the dominant script: Latin when no letter of another script occurs, else by counts of
 *   Latin and Cyrillic letters; when neither is half the letters, the words' first letters
 *   go back to Python, which names their scripts (``unicodedata``: rare, and its names are
 *   not worth copying here);
 * - Cyrillic: Ukrainian or Russian by letters and stopwords;
 * - Latin: the stopwords' exact scores in units of 1/``unit``, and where they sit on a
 *   boundary the same floating-point sums, added in the same order, as the reference.
 *
 * ``tests/unit/test_kernel.py`` checks it against the reference on every labelled and real
 * feed item. Why: the reference costs 10-35 microseconds an item (the regular expression and
 * a str per word), about a sixth of classifying one.
 */
#include "_kernel.h"
#include <stdint.h>

#define MAX_WORDS 40  /* language.py reads the first 40 words */
#define MAX_LANGUAGES 32
#define MAX_HINTS 64
#define MAX_LETTERS 8 /* Ukrainian's or Russian's own letters */

enum { UK = 1, RU = 2 };

typedef struct {
    uint64_t hash; /* 0: empty */
    Py_ssize_t offset, length; /* the word's code points in ``pool`` */
    uint32_t latin;            /* the Latin-script languages it is a stopword of (bits) */
    uint8_t cyrillic;          /* UK, RU */
} Entry;

typedef struct {
    Py_ssize_t start, length;
    uint64_t hash;
} Word;

typedef struct {
    PyObject_HEAD
    Entry *table;
    uint64_t mask;
    Py_UCS4 *pool;
    Py_ssize_t pool_length, pool_cap;
    PyObject *codes; /* tuple: the Latin-script languages, in the reference's order */
    PyObject *uk, *ru;
    int languages, hints, uk_count, ru_count;
    long unit;
    Py_UCS4 hint_letter[MAX_HINTS];
    uint32_t hint_languages[MAX_HINTS];
    Py_UCS4 uk_letters[MAX_LETTERS], ru_letters[MAX_LETTERS];
} Detector;

static inline int
is_word_char(Py_UCS4 ch)
{
    return Py_UNICODE_ISALNUM(ch) || ch == '_' || ch == '\'' || ch == 0x2019;
}

static int
popcount(uint32_t bits)
{
    int n = 0;
    for (; bits; bits &= bits - 1)
        n++;
    return n;
}

/* The slot of a word (its code points and hash), or of the empty slot where it would go. */
static Entry *
slot_of(Detector *self, uint64_t hash, int kind, const void *data, Py_ssize_t start,
        Py_ssize_t length)
{
    for (uint64_t i = hash & self->mask;; i = (i + 1) & self->mask) {
        Entry *entry = &self->table[i];
        if (entry->hash == 0)
            return entry;
        if (entry->hash != hash || entry->length != length)
            continue;
        const Py_UCS4 *stored = self->pool + entry->offset;
        Py_ssize_t k = 0;
        while (k < length && stored[k] == PyUnicode_READ(kind, data, start + k))
            k++;
        if (k == length)
            return entry;
    }
}

/* The entry of ``word`` (a str), made when absent. */
static Entry *
entry_for(Detector *self, PyObject *word)
{
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "stopwords must be str");
        return NULL;
    }
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    Py_ssize_t length = PyUnicode_GET_LENGTH(word);
    uint64_t hash = finish(mix_units(FNV_START, kind, data, 0, length));
    Entry *entry = slot_of(self, hash, kind, data, 0, length);
    if (entry->hash == 0) {
        if (grow((void **)&self->pool, &self->pool_cap, self->pool_length + length,
                 sizeof(Py_UCS4)) < 0)
            return NULL;
        for (Py_ssize_t k = 0; k < length; k++)
            self->pool[self->pool_length + k] = PyUnicode_READ(kind, data, k);
        entry->hash = hash;
        entry->offset = self->pool_length;
        entry->length = length;
        self->pool_length += length;
    }
    return entry;
}

/* Language indices (a tuple of ints) as bits. */
static int
language_bits(Detector *self, PyObject *indices, uint32_t *bits)
{
    PyObject *seq = PySequence_Fast(indices, "languages must be a sequence of indices");
    if (seq == NULL)
        return -1;
    *bits = 0;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        long index = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, k));
        if (index < 0 || index >= self->languages) {
            Py_DECREF(seq);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "language index out of range");
            return -1;
        }
        *bits |= 1u << index;
    }
    Py_DECREF(seq);
    return 0;
}

static int
cyrillic_words(Detector *self, PyObject *words, uint8_t flag)
{
    PyObject *iterator = PyObject_GetIter(words), *word;
    if (iterator == NULL)
        return -1;
    while ((word = PyIter_Next(iterator)) != NULL) {
        Entry *entry = entry_for(self, word);
        Py_DECREF(word);
        if (entry == NULL) {
            Py_DECREF(iterator);
            return -1;
        }
        entry->cyrillic |= flag;
    }
    Py_DECREF(iterator);
    return PyErr_Occurred() ? -1 : 0;
}

static int
letters_of(PyObject *text, Py_UCS4 *letters, int *count)
{
    if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) > MAX_LETTERS) {
        PyErr_SetString(PyExc_ValueError, "letters must be a short str");
        return -1;
    }
    *count = (int)PyUnicode_GET_LENGTH(text);
    for (int k = 0; k < *count; k++)
        letters[k] = PyUnicode_READ_CHAR(text, k);
    return 0;
}

static int
Detector_init(Detector *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"languages", "stopwords", "hints", "uk_words", "ru_words",
                               "uk_letters", "ru_letters", "unit", NULL};
    PyObject *codes, *stopwords, *hints, *uk_words, *ru_words, *uk_letters, *ru_letters;
    long unit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!OOOUUl", keywords, &PyTuple_Type, &codes,
                                     &PyDict_Type, &stopwords, &hints, &uk_words, &ru_words,
                                     &uk_letters, &ru_letters, &unit))
        return -1;
    if (self->table != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Detector is initialised once");
        return -1;
    }
    if (PyTuple_GET_SIZE(codes) > MAX_LANGUAGES || unit <= 0) {
        PyErr_SetString(PyExc_ValueError, "too many languages, or no unit");
        return -1;
    }
    self->languages = (int)PyTuple_GET_SIZE(codes);
    self->unit = unit;
    Py_INCREF(codes);
    self->codes = codes;
    self->uk = PyUnicode_FromString("uk");
    self->ru = PyUnicode_FromString("ru");
    Py_ssize_t cyrillic_count = PyObject_Length(uk_words) + PyObject_Length(ru_words);
    if (PyErr_Occurred())
        return -1;
    uint64_t capacity = 256; /* at most half full: short probe runs */
    while (capacity < (uint64_t)(PyDict_GET_SIZE(stopwords) + cyrillic_count) * 2)
        capacity <<= 1;
    self->table = PyMem_Calloc(capacity, sizeof(Entry));
    if (self->table == NULL || self->uk == NULL || self->ru == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = capacity - 1;
    PyObject *word, *indices;
    Py_ssize_t position = 0;
    while (PyDict_Next(stopwords, &position, &word, &indices)) {
        Entry *entry = entry_for(self, word);
        if (entry == NULL || language_bits(self, indices, &entry->latin) < 0)
            return -1;
    }
    PyObject *seq = PySequence_Fast(hints, "hints must be a sequence of (letter, indices)");
    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) > MAX_HINTS) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "too many letter hints");
        return -1;
    }
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        PyObject *letter, *hint = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyArg_ParseTuple(hint, "UO", &letter, &indices) ||
            PyUnicode_GET_LENGTH(letter) != 1 ||
            language_bits(self, indices, &self->hint_languages[k]) < 0) {
            Py_DECREF(seq);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a hint is one letter");
            return -1;
        }
        self->hint_letter[k] = PyUnicode_READ_CHAR(letter, 0);
        self->hints = (int)k + 1;
    }
    Py_DECREF(seq);
    if (cyrillic_words(self, uk_words, UK) < 0 || cyrillic_words(self, ru_words, RU) < 0 ||
        letters_of(uk_letters, self->uk_letters, &self->uk_count) < 0 ||
        letters_of(ru_letters, self->ru_letters, &self->ru_count) < 0)
        return -1;
    return 0;
}

/* What was found in a sample: its words and the letters the decision asks about. */
typedef struct {
    Word words[MAX_WORDS];
    int count;
    uint64_t hints_present; /* a bit per hint letter found in the words */
    int uk_letters, ru_letters; /* distinct own letters found in the words */
} Sample;

static int
has_letter(const Py_UCS4 *letters, int count, Py_UCS4 ch)
{
    for (int k = 0; k < count; k++)
        if (letters[k] == ch)
            return k;
    return -1;
}

static void
cut(Detector *self, int kind, const void *data, Py_ssize_t n, Sample *sample)
{
    uint32_t uk_seen = 0, ru_seen = 0;
    sample->count = 0;
    sample->hints_present = 0;
    Py_ssize_t i = 0;
    while (i < n && sample->count < MAX_WORDS) {
        while (i < n && !is_word_char(PyUnicode_READ(kind, data, i)))
            i++;
        if (i >= n)
            break;
        Word *word = &sample->words[sample->count++];
        word->start = i;
        uint64_t h = FNV_START;
        Py_UCS4 ch;
        while (i < n && is_word_char(ch = PyUnicode_READ(kind, data, i))) {
            h = mix(h, ch);
            if (ch >= 128) { /* every hint and own letter is beyond ASCII */
                int k;
                for (k = 0; k < self->hints; k++)
                    if (self->hint_letter[k] == ch)
                        sample->hints_present |= 1ull << k;
                if ((k = has_letter(self->uk_letters, self->uk_count, ch)) >= 0)
                    uk_seen |= 1u << k;
                if ((k = has_letter(self->ru_letters, self->ru_count, ch)) >= 0)
                    ru_seen |= 1u << k;
            }
            i++;
        }
        word->length = i - word->start;
        word->hash = finish(h);
    }
    sample->uk_letters = popcount(uk_seen);
    sample->ru_letters = popcount(ru_seen);
}

static const Entry *
lookup(Detector *self, int kind, const void *data, const Word *word)
{
    const Entry *entry = slot_of(self, word->hash, kind, data, word->start, word->length);
    return entry->hash ? entry : NULL;
}

/* ``language._cyrillic``. */
static PyObject *
cyrillic(Detector *self, int kind, const void *data, const Sample *sample)
{
    long uk = 2L * sample->uk_letters, ru = 2L * sample->ru_letters;
    for (int w = 0; w < sample->count; w++) {
        const Entry *entry = lookup(self, kind, data, &sample->words[w]);
        if (entry != NULL) {
            uk += (entry->cyrillic & UK) != 0;
            ru += (entry->cyrillic & RU) != 0;
        }
    }
    if (uk == ru)
        Py_RETURN_NONE;
    return Py_NewRef(uk > ru ? self->uk : self->ru);
}

static int
first_best(const double *scores, int n, double *top, double *second)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (scores[k] > scores[best])
            best = k;
    *top = scores[best];
    *second = -1.0;
    for (int k = 0; k < n; k++)
        if (k != best && scores[k] > *second)
            *second = scores[k];
    return best;
}

/* ``language._latin``, with ``_latin_floats`` on a boundary. */
static PyObject *
latin(Detector *self, int kind, const void *data, const Sample *sample)
{
    int n = self->languages;
    long exact[MAX_LANGUAGES] = {0};
    double floats[MAX_LANGUAGES] = {0.0};
    for (int w = 0; w < sample->count; w++) {
        const Entry *entry = lookup(self, kind, data, &sample->words[w]);
        if (entry == NULL || entry->latin == 0)
            continue;
        int share_count = popcount(entry->latin);
        for (int k = 0; k < n; k++)
            if (entry->latin & (1u << k)) {
                exact[k] += self->unit / share_count;
                floats[k] += 1.0 / share_count;
            }
    }
    for (int h = 0; h < self->hints; h++) {
        if (!(sample->hints_present & (1ull << h)))
            continue;
        int share_count = popcount(self->hint_languages[h]);
        for (int k = 0; k < n; k++)
            if (self->hint_languages[h] & (1u << k)) {
                exact[k] += self->unit / share_count;
                floats[k] += 1.0 / share_count;
            }
    }
    int best = 0;
    for (int k = 1; k < n; k++)
        if (exact[k] > exact[best])
            best = k;
    long top = exact[best], second = -1;
    for (int k = 0; k < n; k++)
        if (k != best && exact[k] > second)
            second = exact[k];
    if (top < self->unit)
        Py_RETURN_NONE;
    if (top == self->unit || second == top || 2 * top == 3 * second) {
        double ftop, fsecond; /* on a boundary: the float sums' rounding decides */
        best = first_best(floats, n, &ftop, &fsecond);
        if (ftop < 1.0 || !(ftop >= 1.5 * fsecond))
            Py_RETURN_NONE;
        return Py_NewRef(PyTuple_GET_ITEM(self->codes, best));
    }
    if (2 * top > 3 * second)
        return Py_NewRef(PyTuple_GET_ITEM(self->codes, best));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(detect_doc,
             "detect(sample) -> str | None | list[str]\n\n"
             "The language of a lower-cased sample (at most SAMPLE_CHARS), as "
             "language.detect_lowered decides it; a list of the words' first letters when "
             "neither Latin nor Cyrillic letters dominate (Python names their scripts).");

static PyObject *
Detector_detect(Detector *self, PyObject *text)
{
    if (self->table == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Detector was not initialised");
        return NULL;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "detect() takes a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Sample sample;
    cut(self, kind, data, n, &sample);
    if (sample.count == 0)
        Py_RETURN_NONE;
    if (kind == PyUnicode_1BYTE_KIND) /* no letter of another script below U+0100 */
        return latin(self, kind, data, &sample);
    Py_ssize_t latin_letters = 0, cyrillic_letters = 0;
    int other = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if ((ch >= 'a' && ch <= 'z') || (ch >= 0xc0 && ch <= 0x24f))
            latin_letters++;
        else if (ch >= 0x400 && ch <= 0x4ff)
            cyrillic_letters++;
        if ((ch >= 0x370 && ch <= 0x1fff) || (ch >= 0x2c00 && ch <= 0xfaff))
            other = 1;
    }
    if (!other)
        return latin(self, kind, data, &sample);
    Py_ssize_t letters = 0;
    for (int w = 0; w < sample.count; w++) {
        const Word *word = &sample.words[w];
        int digits = 1;
        for (Py_ssize_t k = 0; k < word->length && digits; k++)
            digits = Py_UNICODE_ISDIGIT(PyUnicode_READ(kind, data, word->start + k));
        if (!digits)
            letters += word->length;
    }
    Py_ssize_t most = latin_letters > cyrillic_letters ? latin_letters : cyrillic_letters;
    if (most * 2 >= letters) {
        if (latin_letters >= cyrillic_letters)
            return latin(self, kind, data, &sample);
        return cyrillic(self, kind, data, &sample);
    }
    PyObject *initials = PyList_New(sample.count);
    for (int w = 0; initials != NULL && w < sample.count; w++) {
        PyObject *letter = PyUnicode_FromOrdinal(
            PyUnicode_READ(kind, data, sample.words[w].start));
        if (letter == NULL)
            Py_CLEAR(initials);
        else
            PyList_SET_ITEM(initials, w, letter);
    }
    return initials;
}

static void
Detector_dealloc(Detector *self)
{
    PyMem_Free(self->table);
    PyMem_Free(self->pool);
    Py_XDECREF(self->codes);
    Py_XDECREF(self->uk);
    Py_XDECREF(self->ru);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Detector_methods[] = {
    {"detect", (PyCFunction)Detector_detect, METH_O, detect_doc},
    {NULL, NULL, 0, NULL},
};

PyTypeObject DetectorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "newswatch.classifier._kernel.Detector",
    .tp_doc = PyDoc_STR("language.py's stopword tables, ready to detect a sample's language."),
    .tp_basicsize = sizeof(Detector),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Detector_init,
    .tp_dealloc = (destructor)Detector_dealloc,
    .tp_methods = Detector_methods,
};
