/* ``text.sentences`` in C: (offset, sentence) pairs covering a text, the same pairs.
 *
 * The reference is the regular expression ``text._BOUNDARY``. A boundary is a whitespace
 * character after one of . ! ? ; … (with the whitespace that follows it), unless the period
 * ends an initial ("U.S.") or one of Mr. Ms. Dr. St. No. at the start of a word; or a run of
 * line breaks. Written out here because the regex engine, though it skips to whitespace, costs
 * a few microseconds a summary, and the rules, the model's evidence and the facts all split.
 * ``tests/unit/test_kernel.py`` compares the two on every labelled and real feed item.
 */
#include "_kernel.h"

static inline int
is_word(Py_UCS4 ch)
{
    return Py_UNICODE_ISALNUM(ch) || ch == '_';
}

/* Does the character at ``at`` start a word (no word character before it)? */
static inline int
word_start(int kind, const void *data, Py_ssize_t at)
{
    return at == 0 || !is_word(PyUnicode_READ(kind, data, at - 1));
}

/* A period at ``dot`` that ends an initial or a title, so no sentence (the lookbehinds). */
static int
abbreviation(int kind, const void *data, Py_ssize_t dot)
{
    static const char titles[][2] = {{'M', 'r'}, {'M', 's'}, {'D', 'r'}, {'S', 't'}, {'N', 'o'}};
    if (dot >= 1) {
        Py_UCS4 letter = PyUnicode_READ(kind, data, dot - 1);
        if (letter >= 'A' && letter <= 'Z' && word_start(kind, data, dot - 1))
            return 1;
    }
    if (dot >= 2) {
        Py_UCS4 first = PyUnicode_READ(kind, data, dot - 2);
        Py_UCS4 second = PyUnicode_READ(kind, data, dot - 1);
        for (size_t k = 0; k < sizeof(titles) / sizeof(titles[0]); k++)
            if (first == (Py_UCS4)titles[k][0] && second == (Py_UCS4)titles[k][1] &&
                word_start(kind, data, dot - 2))
                return 1;
    }
    return 0;
}

/* The end of the boundary starting at ``i`` (whitespace there), or -1 when none starts. */
static Py_ssize_t
boundary_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t i)
{
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    if (!Py_UNICODE_ISSPACE(ch))
        return -1;
    if (i >= 1) {
        Py_UCS4 before = PyUnicode_READ(kind, data, i - 1);
        if ((before == '.' || before == '!' || before == '?' || before == ';' ||
             before == 0x2026) &&
            !(before == '.' && abbreviation(kind, data, i - 1))) {
            Py_ssize_t j = i + 1;
            while (j < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)))
                j++;
            return j;
        }
    }
    if (ch == '\n') {
        Py_ssize_t j = i + 1;
        while (j < n && PyUnicode_READ(kind, data, j) == '\n')
            j++;
        return j;
    }
    return -1;
}

static int
append_sentence(PyObject *found, PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *sentence = PyUnicode_Substring(text, start, end);
    PyObject *pair = sentence ? Py_BuildValue("(nN)", start, sentence) : NULL;
    int failed = pair == NULL || PyList_Append(found, pair) < 0;
    Py_XDECREF(pair);
    return failed ? -1 : 0;
}

PyObject *
kernel_sentences(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "sentences() takes a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), start = 0, i = 0;
    PyObject *found = PyList_New(0);
    while (found != NULL && i < n) {
        Py_ssize_t end = boundary_end(kind, data, n, i);
        if (end < 0) {
            i++;
            continue;
        }
        if (i > start && append_sentence(found, text, start, i) < 0)
            Py_CLEAR(found);
        start = i = end;
    }
    if (found != NULL && start < n && append_sentence(found, text, start, n) < 0)
        Py_CLEAR(found);
    return found;
}
