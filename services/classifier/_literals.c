/* Aho-Corasick in C: every occurrence of many literals in a text, in one pass.
 *
 * What the rules' literal index (``prefilter.LiteralIndex``), the model's gate and the framing
 * cues ask of a lower-cased text: whether any literal occurs, which do, where each starts,
 * or which start a word. pyahocorasick answers the same questions (and is the reference where
 * this is not built: ``tests/unit/test_kernel.py`` compares the two), but its matches come back
 * to Python one tuple at a time, and collecting them cost more than finding them.
 *
 * The trie's transitions live in one open-addressing table keyed by (node, character), so a
 * step is one probe whatever the script; ``fail`` links make the search linear, and
 * ``dict_link`` (the nearest node along them that ends a literal) lists the literals ending at
 * a position without walking nodes that end none.
 *
 * Where it fits (``DFA_CELLS``), the search runs on a full transition table instead: the
 * characters of the literals, numbered (``classes``; every other character is class 0 and
 * leads back to the root), and per node and class the node the search moves to, fail links
 * already followed. A step is then one look-up, not a probe and a walk along fail links: the
 * rules' literal scan of a real item's summary took 16 microseconds with probes.
 */
#include "_kernel.h"
#include <stdint.h>

typedef struct {
    uint64_t key; /* node << 21 | character */
    int32_t child; /* 0: empty slot (the root is never a child) */
} Edge;

#define ROOT_DENSE 0x800 /* the root's transitions for Latin to Arabic, in a plain array */
#define DFA_CELLS (1 << 22) /* at most 16 MB of transitions; a larger automaton probes */

typedef struct {
    PyObject_HEAD
    PyObject *literals; /* tuple of str, in the order given, repeats dropped */
    int32_t root_next[ROOT_DENSE]; /* most steps of a search start at the root */
    Py_ssize_t nodes;
    int32_t *fail, *output, *dict_link, *depth; /* per node; output: a literal's index or -1 */
    Edge *edges;
    uint64_t mask;
    /* The full transition table (NULL where it would not fit): node * classes + class. */
    int32_t *delta;
    int32_t classes;
    uint16_t class_low[ROOT_DENSE]; /* the class of a character below ROOT_DENSE */
    Py_UCS4 *high;                  /* the literals' other characters, ascending */
    int32_t highs;                  /* their classes: index + 1 + classes below ROOT_DENSE */
    Py_UCS4 *char_of;               /* class -> character */
} Automaton;

/* A character's class in the full table: 0 for any character no literal holds. */
static inline int32_t
class_of(const Automaton *self, Py_UCS4 ch)
{
    if (ch < ROOT_DENSE)
        return self->class_low[ch];
    int32_t lo = 0, hi = self->highs;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (self->high[mid] < ch)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->highs && self->high[lo] == ch ? self->classes - self->highs + lo : 0;
}

static inline uint64_t
edge_key(int32_t node, Py_UCS4 ch)
{
    return ((uint64_t)node << 21) | ch;
}

static inline uint64_t
slot_of(uint64_t key)
{
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 32;
    return key;
}

static inline int32_t
step(const Automaton *self, int32_t node, Py_UCS4 ch)
{
    uint64_t key = edge_key(node, ch);
    for (uint64_t i = slot_of(key) & self->mask;; i = (i + 1) & self->mask) {
        const Edge *edge = &self->edges[i];
        if (edge->child == 0)
            return 0;
        if (edge->key == key)
            return edge->child;
    }
}

/* ``step`` where the search runs: the root's common transitions from the array. */
static inline int32_t
advance(const Automaton *self, int32_t node, Py_UCS4 ch)
{
    return node == 0 && ch < ROOT_DENSE ? self->root_next[ch] : step(self, node, ch);
}

static void
add_edge(Automaton *self, int32_t node, Py_UCS4 ch, int32_t child)
{
    uint64_t key = edge_key(node, ch);
    uint64_t i = slot_of(key) & self->mask;
    while (self->edges[i].child != 0)
        i = (i + 1) & self->mask;
    self->edges[i] = (Edge){key, child};
}

/* Breadth first over the trie: each node's fail link comes from its parent's. */
static int
link_failures(Automaton *self)
{
    Py_ssize_t n = self->nodes, capacity = (Py_ssize_t)self->mask + 1;
    int32_t *first = PyMem_Calloc((size_t)n + 1, sizeof(int32_t));
    int32_t *children = PyMem_Calloc((size_t)n, sizeof(int32_t));
    Py_UCS4 *via = PyMem_Calloc((size_t)n, sizeof(Py_UCS4));
    int32_t *queue = PyMem_Calloc((size_t)n, sizeof(int32_t));
    int failed = first == NULL || children == NULL || via == NULL || queue == NULL;
    if (!failed) {
        for (Py_ssize_t i = 0; i < capacity; i++)  /* children per parent, counted */
            if (self->edges[i].child)
                first[(self->edges[i].key >> 21) + 1]++;
        for (Py_ssize_t v = 0; v < n; v++)
            first[v + 1] += first[v];
        int32_t *fill = queue; /* borrowed as a cursor per parent before the walk */
        memcpy(fill, first, (size_t)n * sizeof(int32_t));
        for (Py_ssize_t i = 0; i < capacity; i++) {
            const Edge *edge = &self->edges[i];
            if (edge->child) {
                int32_t parent = (int32_t)(edge->key >> 21);
                children[fill[parent]++] = edge->child;
                via[edge->child] = (Py_UCS4)(edge->key & 0x1FFFFF);
            }
        }
        Py_ssize_t head = 0, tail = 0;
        self->fail[0] = 0;
        self->dict_link[0] = -1;
        for (int32_t k = first[0]; k < first[1]; k++) {
            int32_t child = children[k];
            self->fail[child] = 0;
            self->dict_link[child] = -1;
            queue[tail++] = child;
        }
        while (head < tail) {
            int32_t node = queue[head++];
            for (int32_t k = first[node]; k < first[node + 1]; k++) {
                int32_t child = children[k], f = self->fail[node], target;
                Py_UCS4 ch = via[child];
                while ((target = step(self, f, ch)) == 0 && f != 0)
                    f = self->fail[f];
                self->fail[child] = target;
                self->dict_link[child] =
                    self->output[target] >= 0 ? target : self->dict_link[target];
                queue[tail++] = child;
            }
        }
        if (self->delta != NULL) { /* breadth first: a node's fail target is filled before it */
            int32_t classes = self->classes;
            for (int32_t c = 1; c < classes; c++)
                self->delta[c] = step(self, 0, self->char_of[c]);
            for (Py_ssize_t q = 0; q < tail; q++) {
                int32_t node = queue[q];
                int32_t *row = self->delta + (Py_ssize_t)node * classes;
                const int32_t *fallback = self->delta + (Py_ssize_t)self->fail[node] * classes;
                for (int32_t c = 1; c < classes; c++) {
                    int32_t child = step(self, node, self->char_of[c]);
                    row[c] = child ? child : fallback[c];
                }
            }
        }
    }
    PyMem_Free(first);
    PyMem_Free(children);
    PyMem_Free(via);
    PyMem_Free(queue);
    if (failed)
        PyErr_NoMemory();
    return failed ? -1 : 0;
}

/* Number the literals' characters and make room for the full table, where it fits. */
static int
number_classes(Automaton *self)
{
    Py_ssize_t capacity = (Py_ssize_t)self->mask + 1, highs = 0, lows = 0;
    Py_UCS4 *high = PyMem_Malloc((size_t)(self->nodes + 1) * sizeof(Py_UCS4));
    if (high == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < capacity; i++) {
        if (!self->edges[i].child)
            continue;
        Py_UCS4 ch = (Py_UCS4)(self->edges[i].key & 0x1FFFFF);
        if (ch < ROOT_DENSE) {
            if (self->class_low[ch] == 0)
                self->class_low[ch] = (uint16_t)++lows;
        }
        else {
            Py_ssize_t k = 0;
            while (k < highs && high[k] != ch)
                k++;
            if (k == highs)
                high[highs++] = ch;
        }
    }
    for (Py_ssize_t a = 1; a < highs; a++) /* insertion sort: a few characters at most */
        for (Py_ssize_t b = a; b > 0 && high[b - 1] > high[b]; b--) {
            Py_UCS4 t = high[b];
            high[b] = high[b - 1];
            high[b - 1] = t;
        }
    self->high = high;
    self->highs = (int32_t)highs;
    self->classes = (int32_t)(1 + lows + highs);
    if ((Py_ssize_t)self->classes * self->nodes > DFA_CELLS)
        return 0; /* too large: the search probes the edge table */
    self->char_of = PyMem_Calloc((size_t)self->classes, sizeof(Py_UCS4));
    self->delta = PyMem_Calloc((size_t)self->classes * (size_t)self->nodes, sizeof(int32_t));
    if (self->char_of == NULL || self->delta == NULL) {
        PyMem_Free(self->delta);
        self->delta = NULL; /* the probing search still works */
        return 0;
    }
    for (Py_UCS4 ch = 0; ch < ROOT_DENSE; ch++)
        if (self->class_low[ch])
            self->char_of[self->class_low[ch]] = ch;
    for (Py_ssize_t k = 0; k < highs; k++)
        self->char_of[1 + lows + k] = high[k];
    return 0;
}

static int
Automaton_init(Automaton *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"literals", NULL};
    PyObject *given;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:Automaton", keywords, &given))
        return -1;
    if (self->literals != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Automaton is initialised once");
        return -1;
    }
    PyObject *literals = PySequence_Tuple(given);
    if (literals == NULL)
        return -1;
    self->literals = literals;
    Py_ssize_t count = PyTuple_GET_SIZE(literals), chars = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *literal = PyTuple_GET_ITEM(literals, i);
        if (!PyUnicode_Check(literal)) {
            PyErr_SetString(PyExc_TypeError, "literals must be str");
            return -1;
        }
        chars += PyUnicode_GET_LENGTH(literal);
    }
    if (chars >= (1 << 30) / 4) {
        PyErr_SetString(PyExc_ValueError, "too many literal characters for one automaton");
        return -1;
    }
    Py_ssize_t most = chars + 1;
    uint64_t capacity = 1024;
    while (capacity < (uint64_t)most * 2)
        capacity <<= 1;
    self->fail = PyMem_Calloc((size_t)most, sizeof(int32_t));
    self->output = PyMem_Malloc((size_t)most * sizeof(int32_t));
    self->dict_link = PyMem_Calloc((size_t)most, sizeof(int32_t));
    self->depth = PyMem_Calloc((size_t)most, sizeof(int32_t));
    self->edges = PyMem_Calloc(capacity, sizeof(Edge));
    if (!self->fail || !self->output || !self->dict_link || !self->depth || !self->edges) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = capacity - 1;
    self->nodes = 1;
    self->output[0] = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *literal = PyTuple_GET_ITEM(literals, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(literal);
        int kind = PyUnicode_KIND(literal);
        const void *data = PyUnicode_DATA(literal);
        int32_t node = 0;
        for (Py_ssize_t j = 0; j < length; j++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            int32_t next = step(self, node, ch);
            if (next == 0) {
                next = (int32_t)self->nodes++;
                self->output[next] = -1;
                self->depth[next] = (int32_t)(j + 1);
                add_edge(self, node, ch, next);
            }
            node = next;
        }
        if (node != 0 && self->output[node] < 0) /* the empty literal occurs nowhere */
            self->output[node] = (int32_t)i;
    }
    for (Py_UCS4 ch = 0; ch < ROOT_DENSE; ch++)
        self->root_next[ch] = step(self, 0, ch);
    if (number_classes(self) < 0)
        return -1;
    return link_failures(self);
}

/* Calls ``found(context, literal index, start)`` for each occurrence, by end position;
 * stops early when it returns 1, fails when it returns -1. */
typedef int (*Found)(void *context, int32_t literal, Py_ssize_t start);

static int
search(const Automaton *self, PyObject *text, Found found, void *context)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const int32_t *delta = self->delta;
    int32_t node = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (delta != NULL) {
            node = delta[(Py_ssize_t)node * self->classes + class_of(self, ch)];
        }
        else {
            int32_t next;
            while ((next = advance(self, node, ch)) == 0 && node != 0)
                node = self->fail[node];
            node = next;
        }
        for (int32_t m = self->output[node] >= 0 ? node : self->dict_link[node]; m >= 0;
             m = self->dict_link[m]) {
            int done = found(context, self->output[m], i - self->depth[m] + 1);
            if (done)
                return done;
        }
    }
    return 0;
}

static int
stop_at_first(void *context, int32_t literal, Py_ssize_t start)
{
    return 1;
}

typedef struct {
    PyObject *literals, *into, *text; /* into: a set, or a dict of start lists */
    int word_starts;
} Collect;

static int
add_present(void *context, int32_t literal, Py_ssize_t start)
{
    Collect *c = context;
    if (c->word_starts && start > 0) {
        Py_UCS4 before = PyUnicode_READ_CHAR(c->text, start - 1);
        if (Py_UNICODE_ISALNUM(before))
            return 0;
    }
    return PySet_Add(c->into, PyTuple_GET_ITEM(c->literals, literal)) < 0 ? -1 : 0;
}

static int
add_start(void *context, int32_t literal, Py_ssize_t start)
{
    Collect *c = context;
    PyObject *key = PyTuple_GET_ITEM(c->literals, literal);
    PyObject *starts = PyDict_GetItemWithError(c->into, key);
    PyObject *offset = PyLong_FromSsize_t(start);
    int failed = offset == NULL;
    if (!failed && starts == NULL && !PyErr_Occurred()) {
        PyObject *fresh = PyList_New(0);
        failed = fresh == NULL || PyDict_SetItem(c->into, key, fresh) < 0;
        starts = fresh;
        Py_XDECREF(fresh); /* the dict holds it */
    }
    failed = failed || starts == NULL || PyList_Append(starts, offset) < 0;
    Py_XDECREF(offset);
    return failed ? -1 : 0;
}

static int
check_str(const Automaton *self, PyObject *text)
{
    if (self->literals == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Automaton was not initialised");
        return -1;
    }
    if (PyUnicode_Check(text))
        return 0;
    PyErr_SetString(PyExc_TypeError, "the text must be a str");
    return -1;
}

static PyObject *
Automaton_any_in(Automaton *self, PyObject *text)
{
    if (check_str(self, text) < 0)
        return NULL;
    return PyBool_FromLong(search(self, text, stop_at_first, NULL) == 1);
}

/* Search ``text``, ``found`` filling ``into`` (a new set or dict, consumed: returned filled,
 * or released on failure). */
static PyObject *
collect(Automaton *self, PyObject *text, PyObject *into, Found found, int word_starts)
{
    if (into == NULL || check_str(self, text) < 0) {
        Py_XDECREF(into);
        return NULL;
    }
    Collect c = {self->literals, into, text, word_starts};
    if (search(self, text, found, &c) < 0) {
        Py_DECREF(into);
        return NULL;
    }
    return into;
}

static PyObject *
Automaton_present(Automaton *self, PyObject *text)
{
    PyObject *found = collect(self, text, PySet_New(NULL), add_present, 0);
    if (found == NULL)
        return NULL;
    PyObject *frozen = PyFrozenSet_New(found);
    Py_DECREF(found);
    return frozen;
}

static PyObject *
Automaton_word_starts(Automaton *self, PyObject *text)
{
    return collect(self, text, PySet_New(NULL), add_present, 1);
}

static PyObject *
Automaton_occurrences(Automaton *self, PyObject *text)
{
    return collect(self, text, PyDict_New(), add_start, 0);
}

static PyObject *
Automaton_len(Automaton *self, PyObject *unused)
{
    return PyLong_FromSsize_t(self->literals ? PyTuple_GET_SIZE(self->literals) : 0);
}

static PyObject *
Automaton_dense(Automaton *self, PyObject *unused)
{
    return PyBool_FromLong(self->delta != NULL);
}

static void
Automaton_dealloc(Automaton *self)
{
    Py_XDECREF(self->literals);
    PyMem_Free(self->fail);
    PyMem_Free(self->output);
    PyMem_Free(self->dict_link);
    PyMem_Free(self->depth);
    PyMem_Free(self->edges);
    PyMem_Free(self->delta);
    PyMem_Free(self->high);
    PyMem_Free(self->char_of);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Automaton_methods[] = {
    {"any_in", (PyCFunction)Automaton_any_in, METH_O, "Whether any literal occurs in the text."},
    {"present", (PyCFunction)Automaton_present, METH_O, "The literals that occur: a frozenset."},
    {"occurrences", (PyCFunction)Automaton_occurrences, METH_O,
     "Each literal that occurs -> the offsets where it starts, ascending."},
    {"word_starts", (PyCFunction)Automaton_word_starts, METH_O,
     "The literals that occur at the start of a word (after no letter or digit): a set."},
    {"count", (PyCFunction)Automaton_len, METH_NOARGS, "How many literals it holds."},
    {"dense", (PyCFunction)Automaton_dense, METH_NOARGS,
     "Whether the search runs on the full transition table (else it probes the edges)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "newswatch.classifier._kernel.Automaton",
    .tp_doc = PyDoc_STR("Automaton(literals): every occurrence of the literals, in one pass."),
    .tp_basicsize = sizeof(Automaton),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Automaton_init,
    .tp_dealloc = (destructor)Automaton_dealloc,
    .tp_methods = Automaton_methods,
};
