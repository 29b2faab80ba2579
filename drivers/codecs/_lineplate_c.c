/*
 * The small-batch path of the line-plate codec in C (issue 18 §3): drivers.codecs._lineplate_c.
 *
 * feed(codec, data, consts, t_host_s) makes exactly the decisions of lineplate_fast.feed_python
 * (read that function first; this file follows it step by step) and returns the LineBatch the
 * vectorised path would return, or None - before any state changed - when that path must
 * decide. Python calls, look-ups and small integers cost a few microseconds per read in the
 * Python version; here a one-line read costs about as much as the codec's attribute updates.
 *
 * What must stay bit for bit the same as the Python (and numpy) path:
 *   - the structure, as the regular expression lineplate_fast._SHAPE: an optional leading LF
 *     (the end of a CR LF split by the previous read), whole "$FP,<six numbers>*hh" lines
 *     ended by CR LF or LF (a CR as the buffer's last byte: the CR of a CR LF split by this
 *     read), then nothing or a clean partial line ("$" and at most MAX_LINE - 1 bytes other
 *     than "$", CR and LF). seq and t_us are 1-10 digits, the cells an optional "-" and
 *     1-10 digits, so every number fits an int64 without overflow;
 *   - the checks' floating-point operations, in the same order on doubles. Integers below
 *     2**53 convert to doubles exactly, so "int64 then double" here equals Python's
 *     int/float mix there. Fused multiply-adds and excess precision would change roundings:
 *     they are switched off below (and by setup.py), or the build fails and the installed
 *     package uses the Python version.
 *
 * Comparisons are written as "not within the limits" (!(x <= limit)): for numbers that is
 * the Python path's "x > limit"; a NaN fails it here, so such a read goes to the numpy path,
 * which rejects NaN too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__FAST_MATH__)
#error "_lineplate_c must be compiled without -ffast-math (it repeats the Python path's doubles)"
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD > 0
#error "_lineplate_c needs double arithmetic without excess precision (e.g. SSE2, not x87)"
#endif

/* Protocol constants (lineplate_wire); exported below and compared with the wire module's
 * by lineplate_fast before it selects this module. */
#define MAX_LINE 100
#define SEQ_MODULUS (INT64_C(1) << 32)
#define COUNT_LIMIT (INT64_C(1) << 24)
#define MAX_DIGITS 10
#define MIN_LINE 19 /* "$FP,0,0,0,0,0,0*hh" and LF: a buffer of n bytes has < n / 19 + 1 lines */
/* Reads of up to this many bytes are decided here: a 4 KiB serial read of ~80 lines too
 * (about 60 ns a line, against a few microseconds for numpy's fixed cost per call). */
#define MAX_BYTES 16384
/* Buffers on the stack for the usual sizes; larger reads use the heap. */
#define STACK_BYTES 4608
#define STACK_ROWS 96

/* One row of LINE_SAMPLE_DTYPE: t_host_s (f8), seq, t_us, TR, BR, TL, BL (i8), native order. */
typedef struct {
    double t_host_s;
    int64_t v[6];
} Sample;
#define SAMPLE_SIZE ((Py_ssize_t)sizeof(Sample))

/* The codec's limits as this file compares them (pack(), cached by lineplate_fast.constants
 * as the last item of the constants tuple). */
typedef struct {
    double period;    /* expected t_us step per sample (has_period) */
    double period_s;  /* period * 1e-6, as the Python path computes it */
    double clock_tol; /* the clock limit of a one-sample step (from Python) */
    double allowed_1; /* the step limit of a one-sample step (from Python) */
    double clock_tolerance, clock_slack_us, max_rate, max_gap_s;
    double scales[4];
    double floor;     /* STEP_FLOOR_FRACTION * capacity */
    double low;       /* -0.25 * capacity: lowest force of one cell */
    double high;      /* 1.25 * capacity: highest force of one cell and of the total */
    double total_low; /* -0.10 * capacity: lowest total */
    int64_t max_gap;  /* clamped to SEQ_MODULUS: every step is below it anyway */
    int32_t enabled, has_period, has_scales, unused;
} Limits;

/* What lineplate_fast hands over once (bind()). */
static PyObject *LineBatchType = NULL; /* drivers.codecs.lineplate.LineBatch */
static PyObject *EmptySamples = NULL;  /* the shared, read-only empty samples array */
static PyObject *NewBlock = NULL;      /* lineplate_fast.new_block */

/* Attribute names, interned once. */
static PyObject *s_residual, *s_fast_last, *s_last_seq, *s_track, *s_locked, *s_last,
    *s_jumping, *s_misses, *s_block, *s_block_rows, *s_block_next, *s_lines, *s_seq_gaps,
    *s_seq_resets, *s_seq_resyncs, *s_samples, *s_messages;

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Python's (x % SEQ_MODULUS) for |x| < 2**62: the result is never negative. */
static inline int64_t
wrap(int64_t x)
{
    int64_t r = x % SEQ_MODULUS;
    return r < 0 ? r + SEQ_MODULUS : r;
}

/* One "$FP,...*hh" line with its terminator at buf[pos] (a "$").
 * Returns the position after the terminator and stores the six numbers in out and whether
 * the checksum matches in *sum_ok; -1 when no whole well-formed FP line starts there. */
static Py_ssize_t
parse_line(const unsigned char *buf, Py_ssize_t n, Py_ssize_t pos, int64_t out[6], int *sum_ok)
{
    Py_ssize_t p = pos + 1;
    unsigned int x;
    int field, high, low;

    if (n - p < 3 || buf[p] != 'F' || buf[p + 1] != 'P' || buf[p + 2] != ',') {
        return -1;
    }
    x = 'F' ^ 'P' ^ ',';
    p += 3;
    for (field = 0; field < 6; field++) {
        int negative = 0, digits = 0;
        int64_t value = 0;
        if (field >= 2 && p < n && buf[p] == '-') { /* the cells are signed */
            negative = 1;
            x ^= '-';
            p++;
        }
        while (p < n && buf[p] >= '0' && buf[p] <= '9') {
            if (digits == MAX_DIGITS) { /* \d{1,10} must be followed by its separator */
                return -1;
            }
            value = value * 10 + (buf[p] - '0');
            x ^= buf[p];
            digits++;
            p++;
        }
        if (digits == 0 || p >= n || buf[p] != (field < 5 ? ',' : '*')) {
            return -1;
        }
        if (field < 5) {
            x ^= ','; /* the body runs from after "$" up to "*" */
        }
        p++;
        out[field] = negative ? -value : value;
    }
    if (n - p < 2) {
        return -1;
    }
    high = hex_value(buf[p]);
    low = hex_value(buf[p + 1]);
    if (high < 0 || low < 0) {
        return -1;
    }
    p += 2;
    if (p < n && buf[p] == '\n') {
        p += 1;
    }
    else if (p < n && buf[p] == '\r') {
        if (p + 1 == n) { /* a CR LF split by this read: the LF comes next time */
            p += 1;
        }
        else if (buf[p + 1] == '\n') {
            p += 2;
        }
        else { /* CR-only line ends: the vectorised path */
            return -1;
        }
    }
    else {
        return -1;
    }
    *sum_ok = x == (unsigned int)(high << 4 | low);
    return p;
}

/* The structure check and numbers of a whole buffer (lineplate_fast._SHAPE).
 * Returns the number of lines (their numbers in rows) and the start of the partial tail in
 * *cut, or -1 when the Python path would not decide (shape or checksum). */
static Py_ssize_t
scan(const unsigned char *buf, Py_ssize_t n, int64_t (*rows)[6], Py_ssize_t *cut)
{
    Py_ssize_t pos = (n > 0 && buf[0] == '\n') ? 1 : 0;
    Py_ssize_t count = 0;

    while (pos < n) {
        Py_ssize_t next, q;
        int sum_ok = 0;
        if (buf[pos] != '$') {
            return -1;
        }
        next = parse_line(buf, n, pos, rows[count], &sum_ok);
        if (next < 0) { /* then only a clean start of a line may follow */
            if (n - pos > MAX_LINE) {
                return -1;
            }
            for (q = pos + 1; q < n; q++) {
                if (buf[q] == '$' || buf[q] == '\r' || buf[q] == '\n') {
                    return -1;
                }
            }
            *cut = pos;
            return count;
        }
        if (!sum_ok) {
            return -1;
        }
        count++;
        pos = next;
    }
    *cut = n;
    return count;
}

/* A whole number below 2**53 as int64 (the track keeps rows as float64); 0 otherwise. */
static int
exact_int(double value, int64_t *out)
{
    if (!(value >= -9007199254740992.0 && value <= 9007199254740992.0)) {
        return 0;
    }
    *out = (int64_t)value;
    return (double)*out == value;
}

/* A number kept by the Python path (int, or float from the track) as int64; 0 when it is
 * neither (no exception is left set). */
static int
number_as_int(PyObject *obj, int64_t *out)
{
    if (PyLong_Check(obj)) {
        int overflow = 0;
        long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (overflow || (value == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return 0;
        }
        *out = (int64_t)value;
        return 1;
    }
    if (PyFloat_Check(obj)) {
        return exact_int(PyFloat_AS_DOUBLE(obj), out);
    }
    return 0;
}

/* The continuity track's last row: kept by the small-batch path (codec._fast_last: bytes
 * from this module, a list from the Python version), or, after the vectorised path, read
 * from the track if it is locked and not judging a jump. 1: found; 0: not decided here;
 * -1: error. *from_track tells the second case. */
static int
last_row(PyObject *codec, PyObject *fast_last, int64_t last[6], int *from_track)
{
    Py_ssize_t k;
    *from_track = 0;
    if (PyBytes_CheckExact(fast_last) && PyBytes_GET_SIZE(fast_last) == 6 * 8) {
        memcpy(last, PyBytes_AS_STRING(fast_last), 6 * 8);
        return 1;
    }
    if (PyList_CheckExact(fast_last) && PyList_GET_SIZE(fast_last) == 6) {
        for (k = 0; k < 6; k++) {
            if (!number_as_int(PyList_GET_ITEM(fast_last, k), &last[k])) {
                return 0;
            }
        }
        return 1;
    }
    if (fast_last != Py_None) {
        return 0;
    }
    {
        PyObject *track = NULL, *flag = NULL, *rows = NULL;
        Py_buffer view;
        int result = 0, truth;

        track = PyObject_GetAttr(codec, s_track);
        if (track == NULL) {
            return -1;
        }
        flag = PyObject_GetAttr(track, s_locked);
        if (flag == NULL || (truth = PyObject_IsTrue(flag)) < 0) {
            result = -1;
            goto done;
        }
        if (!truth) {
            goto done;
        }
        Py_CLEAR(flag);
        flag = PyObject_GetAttr(track, s_jumping);
        if (flag == NULL || (truth = PyObject_IsTrue(flag)) < 0) {
            result = -1;
            goto done;
        }
        if (truth) {
            goto done;
        }
        rows = PyObject_GetAttr(track, s_last);
        if (rows == NULL) {
            result = -1;
            goto done;
        }
        if (rows == Py_None) {
            goto done;
        }
        /* A (1, 6) float64 array; anything else: the Python path decides. */
        if (PyObject_GetBuffer(rows, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            goto done;
        }
        if (view.len == 6 * (Py_ssize_t)sizeof(double) && view.itemsize == sizeof(double)
            && view.format != NULL
            && (strcmp(view.format, "d") == 0 || strcmp(view.format, "=d") == 0
#if PY_LITTLE_ENDIAN
                || strcmp(view.format, "<d") == 0
#else
                || strcmp(view.format, ">d") == 0
#endif
                )) {
            double values[6];
            memcpy(values, view.buf, sizeof values);
            result = 1;
            for (k = 0; k < 6; k++) {
                if (!exact_int(values[k], &last[k])) {
                    result = 0;
                }
            }
        }
        PyBuffer_Release(&view);
        *from_track = result == 1;
    done:
        Py_XDECREF(track);
        Py_XDECREF(flag);
        Py_XDECREF(rows);
        return result;
    }
}

/* obj.name += amount for an int attribute. */
static int
add_to(PyObject *obj, PyObject *name, long long amount)
{
    PyObject *value, *step, *sum;
    int result;
    value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        return -1;
    }
    step = PyLong_FromLongLong(amount);
    if (step == NULL) {
        Py_DECREF(value);
        return -1;
    }
    sum = PyNumber_Add(value, step);
    Py_DECREF(value);
    Py_DECREF(step);
    if (sum == NULL) {
        return -1;
    }
    result = PyObject_SetAttr(obj, name, sum);
    Py_DECREF(sum);
    return result;
}

static int
set_long(PyObject *obj, PyObject *name, long long value)
{
    PyObject *number = PyLong_FromLongLong(value);
    int result;
    if (number == NULL) {
        return -1;
    }
    result = PyObject_SetAttr(obj, name, number);
    Py_DECREF(number);
    return result;
}

/* A LineBatch as object.__new__ + object.__setattr__ make it (the class is frozen). */
static PyObject *
new_batch(PyObject *samples)
{
    PyTypeObject *type = (PyTypeObject *)LineBatchType;
    PyObject *batch, *messages;
    batch = type->tp_alloc(type, 0);
    if (batch == NULL) {
        return NULL;
    }
    messages = PyList_New(0);
    if (messages == NULL || PyObject_GenericSetAttr(batch, s_samples, samples) < 0
        || PyObject_GenericSetAttr(batch, s_messages, messages) < 0) {
        Py_XDECREF(messages);
        Py_DECREF(batch);
        return NULL;
    }
    Py_DECREF(messages);
    return batch;
}

/* Make room for count rows in the codec's block (a new block when the rest is too short).
 * Returns the first free row, or -1 with an exception, or -2 when count does not fit even a
 * new block. A new block changes nothing observable (rows are handed out once written). */
static Py_ssize_t
reserve_rows(PyObject *codec, Py_ssize_t count, PyObject **block_out)
{
    int attempt;
    for (attempt = 0; attempt < 2; attempt++) {
        PyObject *block, *next_obj;
        Py_ssize_t next, capacity;
        next_obj = PyObject_GetAttr(codec, s_block_next);
        if (next_obj == NULL) {
            return -1;
        }
        next = PyLong_AsSsize_t(next_obj);
        Py_DECREF(next_obj);
        if (next == -1 && PyErr_Occurred()) {
            return -1;
        }
        block = PyObject_GetAttr(codec, s_block);
        if (block == NULL) {
            return -1;
        }
        if (!PyByteArray_CheckExact(block)) {
            Py_DECREF(block);
            PyErr_SetString(PyExc_TypeError, "the codec's _block must be a bytearray");
            return -1;
        }
        capacity = PyByteArray_GET_SIZE(block) / SAMPLE_SIZE;
        if (next >= 0 && next <= capacity && count <= capacity - next) {
            *block_out = block;
            return next;
        }
        Py_DECREF(block);
        if (attempt == 0) {
            PyObject *done = PyObject_CallOneArg(NewBlock, codec);
            if (done == NULL) {
                return -1;
            }
            Py_DECREF(done);
        }
    }
    return -2;
}

/* Everything of lineplate_fast.feed_python after its decision: write the samples, update the
 * codec, hand out the batch. */
static PyObject *
commit(PyObject *codec, const int64_t (*rows)[6], Py_ssize_t count, double t_host_s,
       const int64_t last[6], int from_track, int64_t last_seq, int64_t gaps, int64_t resets,
       int64_t resyncs, PyObject *tail)
{
    PyObject *block = NULL, *block_rows = NULL, *samples = NULL, *row_bytes = NULL;
    PyObject *batch = NULL, *track = NULL;
    Py_ssize_t start, k;
    char *out;

    start = reserve_rows(codec, count, &block);
    if (start == -2) {
        Py_RETURN_NONE; /* bind() made blocks hold any read's lines: not reached */
    }
    if (start < 0) {
        return NULL;
    }
    out = PyByteArray_AS_STRING(block) + start * SAMPLE_SIZE;
    for (k = 0; k < count; k++) {
        Sample sample;
        sample.t_host_s = t_host_s;
        memcpy(sample.v, rows[k], sizeof sample.v);
        memcpy(out, &sample, sizeof sample);
        out += SAMPLE_SIZE;
    }
    block_rows = PyObject_GetAttr(codec, s_block_rows);
    if (block_rows == NULL) {
        goto error;
    }
    samples = PySequence_GetSlice(block_rows, start, start + count);
    if (samples == NULL) {
        goto error;
    }
    batch = new_batch(samples);
    if (batch == NULL) {
        goto error;
    }
    /* The codec's state, as the Python version leaves it. */
    row_bytes = PyBytes_FromStringAndSize((const char *)last, 6 * 8);
    if (row_bytes == NULL || PyObject_SetAttr(codec, s_fast_last, row_bytes) < 0) {
        goto error;
    }
    if (from_track) {
        /* While codec._fast_last is set, nothing but this path touched the track since it
         * last set _misses to 0 (every other path syncs first), so only the first read after
         * the vectorised path needs it. */
        PyObject *zero = PyLong_FromLong(0);
        int failed;
        track = PyObject_GetAttr(codec, s_track);
        if (track == NULL || zero == NULL) {
            Py_XDECREF(zero);
            goto error;
        }
        failed = PyObject_SetAttr(track, s_misses, zero) < 0;
        Py_DECREF(zero);
        if (failed) {
            goto error;
        }
    }
    if (set_long(codec, s_last_seq, last_seq) < 0 || add_to(codec, s_lines, count) < 0
        || (gaps && add_to(codec, s_seq_gaps, gaps) < 0)
        || (resets && add_to(codec, s_seq_resets, resets) < 0)
        || (resyncs && add_to(codec, s_seq_resyncs, resyncs) < 0)
        || PyObject_SetAttr(codec, s_residual, tail) < 0
        || set_long(codec, s_block_next, start + count) < 0) {
        goto error;
    }
    Py_DECREF(block);
    Py_DECREF(block_rows);
    Py_DECREF(samples);
    Py_DECREF(row_bytes);
    Py_XDECREF(track);
    return batch;
error:
    Py_XDECREF(block);
    Py_XDECREF(block_rows);
    Py_XDECREF(samples);
    Py_XDECREF(row_bytes);
    Py_XDECREF(track);
    Py_XDECREF(batch);
    return NULL;
}

/* Range, clock, step and sequence checks of every row (lineplate_fast.feed_python's loop).
 * 1: all accepted (the new last row and counts stored); 0: not decided here. */
static int
check_rows(const Limits *lim, const int64_t (*rows)[6], Py_ssize_t count, int64_t last[6],
           int *has_last_seq, int64_t *last_seq, int64_t *gaps, int64_t *resets,
           int64_t *resyncs)
{
    Py_ssize_t k;
    int64_t p_seq = last[0], p_t = last[1], p_a = last[2], p_b = last[3], p_c = last[4],
            p_d = last[5];

    for (k = 0; k < count; k++) {
        const int64_t seq = rows[k][0], t = rows[k][1], a = rows[k][2], b = rows[k][3],
                      c = rows[k][4], d = rows[k][5];
        int64_t dseq;
        double allowed;

        if (seq >= SEQ_MODULUS || t >= SEQ_MODULUS || a > COUNT_LIMIT || b > COUNT_LIMIT
            || c > COUNT_LIMIT || d > COUNT_LIMIT || a < -COUNT_LIMIT || b < -COUNT_LIMIT
            || c < -COUNT_LIMIT || d < -COUNT_LIMIT) {
            return 0;
        }
        dseq = wrap(seq - p_seq);
        if (dseq == 1 && lim->has_period) {
            const double dt_us = (double)wrap(t - p_t);
            if (!(fabs(dt_us - lim->period) <= lim->clock_tol)) {
                return 0;
            }
            allowed = lim->allowed_1;
        }
        else { /* a gap: the general form of PlateLimits.step_ok */
            double seconds;
            int64_t dt_us;
            if (!(1 <= dseq && dseq <= lim->max_gap)) {
                return 0;
            }
            dt_us = wrap(t - p_t);
            if (lim->has_period) {
                const double expected = (double)dseq * lim->period;
                if (!(fabs((double)dt_us - expected)
                      <= lim->clock_tolerance * expected + lim->clock_slack_us)) {
                    return 0;
                }
                seconds = (double)dseq * lim->period_s;
            }
            else {
                seconds = (double)dt_us * 1e-6;
                if (lim->max_gap_s < seconds) { /* min(seconds, MAX_GAP_S) */
                    seconds = lim->max_gap_s;
                }
            }
            allowed = lim->max_rate * seconds + lim->floor;
        }
        if (lim->has_scales) {
            const double *s = lim->scales;
            const double f0 = (double)a * s[0], f1 = (double)b * s[1], f2 = (double)c * s[2],
                         f3 = (double)d * s[3];
            const double total = f0 + f1 + f2 + f3;
            if (!(f0 >= lim->low && f1 >= lim->low && f2 >= lim->low && f3 >= lim->low
                  && f0 <= lim->high && f1 <= lim->high && f2 <= lim->high && f3 <= lim->high
                  && total >= lim->total_low && total <= lim->high
                  && (double)(a > p_a ? a - p_a : p_a - a) * s[0] <= allowed
                  && (double)(b > p_b ? b - p_b : p_b - b) * s[1] <= allowed
                  && (double)(c > p_c ? c - p_c : p_c - c) * s[2] <= allowed
                  && (double)(d > p_d ? d - p_d : p_d - d) * s[3] <= allowed)) {
                return 0;
            }
        }
        if (*has_last_seq) { /* as LinePlateCodec._count_seq */
            const int64_t step = wrap(seq - *last_seq);
            if (!(1 <= step && step < SEQ_MODULUS / 2)) {
                (*resets)++;
            }
            else if (step > lim->max_gap) {
                (*resyncs)++;
            }
            else {
                *gaps += step - 1;
            }
        }
        *has_last_seq = 1;
        *last_seq = p_seq = seq;
        p_t = t;
        p_a = a;
        p_b = b;
        p_c = c;
        p_d = d;
    }
    last[0] = p_seq;
    last[1] = p_t;
    last[2] = p_a;
    last[3] = p_b;
    last[4] = p_c;
    last[5] = p_d;
    return 1;
}

PyDoc_STRVAR(feed_doc,
"feed(codec, data, consts, t_host_s)\n--\n\n"
"The batch the vectorised path would return for ``data``, or None (nothing changed) when it\n"
"must decide itself: :func:`drivers.codecs.lineplate_fast.feed_python` in C.");

static PyObject *
feed(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *codec, *data, *consts, *packed, *result = NULL;
    PyObject *residual = NULL, *fast_last = NULL, *seq_obj = NULL, *tail = NULL;
    Limits lim;
    Py_buffer view;
    int have_view = 0;
    const char *data_ptr;
    Py_ssize_t data_len, n, count, cut = 0, k, dollars;
    unsigned char stack_bytes[STACK_BYTES];
    int64_t stack_rows[STACK_ROWS][6];
    unsigned char *buf = stack_bytes;
    int64_t(*rows)[6] = stack_rows;

    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "feed(codec, data, consts, t_host_s) takes 4 arguments");
        return NULL;
    }
    codec = args[0];
    data = args[1];
    consts = args[2];
    if (LineBatchType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_lineplate_c.bind() was not called");
        return NULL;
    }
    if (!PyTuple_Check(consts) || PyTuple_GET_SIZE(consts) < 1) {
        PyErr_SetString(PyExc_TypeError, "consts must be lineplate_fast.constants()");
        return NULL;
    }
    packed = PyTuple_GET_ITEM(consts, PyTuple_GET_SIZE(consts) - 1);
    if (!PyBytes_CheckExact(packed) || PyBytes_GET_SIZE(packed) != (Py_ssize_t)sizeof lim) {
        Py_RETURN_NONE;
    }
    memcpy(&lim, PyBytes_AS_STRING(packed), sizeof lim);
    if (!lim.enabled) {
        Py_RETURN_NONE;
    }

    if (PyBytes_CheckExact(data)) {
        data_ptr = PyBytes_AS_STRING(data);
        data_len = PyBytes_GET_SIZE(data);
    }
    else {
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            PyErr_Clear(); /* the vectorised path converts it or raises */
            Py_RETURN_NONE;
        }
        have_view = 1;
        data_ptr = (const char *)view.buf;
        data_len = view.len;
    }
    if (data_len > MAX_BYTES) {
        goto undecided;
    }
    residual = PyObject_GetAttr(codec, s_residual);
    if (residual == NULL) {
        goto done;
    }
    if (!PyBytes_CheckExact(residual) || PyBytes_GET_SIZE(residual) > MAX_LINE) {
        goto undecided;
    }
    n = PyBytes_GET_SIZE(residual) + data_len;
    if (n > STACK_BYTES) {
        buf = PyMem_Malloc((size_t)n);
        if (buf == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    memcpy(buf, PyBytes_AS_STRING(residual), (size_t)PyBytes_GET_SIZE(residual));
    memcpy(buf + PyBytes_GET_SIZE(residual), data_ptr, (size_t)data_len);
    if (have_view) {
        PyBuffer_Release(&view);
        have_view = 0;
    }

    /* Every line starts with "$": their count bounds the rows. */
    dollars = 0;
    for (k = 0; k < n; k++) {
        dollars += buf[k] == '$';
    }
    if (dollars > STACK_ROWS) {
        rows = PyMem_Malloc((size_t)dollars * sizeof *rows);
        if (rows == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    count = scan(buf, n, rows, &cut);
    if (count < 0) {
        goto undecided;
    }
    tail = PyBytes_FromStringAndSize((const char *)buf + cut, n - cut);
    if (tail == NULL) {
        goto done;
    }
    if (count == 0) { /* only a partial line (or nothing): keep it */
        if (PyObject_SetAttr(codec, s_residual, tail) < 0) {
            goto done;
        }
        result = new_batch(EmptySamples);
        goto done;
    }

    {
        int64_t last[6], last_seq = 0;
        int from_track, found, has_last_seq = 0;
        int64_t gaps = 0, resets = 0, resyncs = 0;
        double t_host_s = PyFloat_AsDouble(args[3]);
        if (t_host_s == -1.0 && PyErr_Occurred()) {
            PyErr_Clear(); /* the vectorised path stores it or raises */
            goto undecided;
        }
        fast_last = PyObject_GetAttr(codec, s_fast_last);
        if (fast_last == NULL) {
            goto done;
        }
        found = last_row(codec, fast_last, last, &from_track);
        if (found < 0) {
            goto done;
        }
        if (found == 0) {
            goto undecided;
        }
        seq_obj = PyObject_GetAttr(codec, s_last_seq);
        if (seq_obj == NULL) {
            goto done;
        }
        if (seq_obj != Py_None) {
            if (!number_as_int(seq_obj, &last_seq) || last_seq < 0 || last_seq >= SEQ_MODULUS) {
                goto undecided;
            }
            has_last_seq = 1;
        }
        if (!check_rows(&lim, (const int64_t(*)[6])rows, count, last, &has_last_seq, &last_seq,
                        &gaps, &resets, &resyncs)) {
            goto undecided;
        }
        result = commit(codec, (const int64_t(*)[6])rows, count, t_host_s, last, from_track,
                        last_seq, gaps, resets, resyncs, tail);
    }
    goto done;

undecided:
    Py_INCREF(Py_None);
    result = Py_None;
done:
    if (have_view) {
        PyBuffer_Release(&view);
    }
    if (buf != stack_bytes) {
        PyMem_Free(buf);
    }
    if (rows != stack_rows) {
        PyMem_Free(rows);
    }
    Py_XDECREF(residual);
    Py_XDECREF(fast_last);
    Py_XDECREF(seq_obj);
    Py_XDECREF(tail);
    return result;
}

static int
double_item(PyObject *tuple, Py_ssize_t index, double *out)
{
    *out = PyFloat_AsDouble(PyTuple_GET_ITEM(tuple, index));
    return !(*out == -1.0 && PyErr_Occurred());
}

PyDoc_STRVAR(pack_doc,
"pack(values, clock_tolerance, clock_slack_us, max_rate, max_gap_s)\n--\n\n"
"The limits of :func:`drivers.codecs.lineplate_fast.constants` (``values``: enabled, max_gap,\n"
"period, clock_tol, allowed_1, scales, capacity, floor) as :func:`feed` reads them.");

static PyObject *
pack(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *values, *scales;
    Limits lim;
    double cap;
    int enabled, overflow = 0;
    long long max_gap;

    memset(&lim, 0, sizeof lim);
    if (!PyArg_ParseTuple(args, "O!dddd:pack", &PyTuple_Type, &values, &lim.clock_tolerance,
                          &lim.clock_slack_us, &lim.max_rate, &lim.max_gap_s)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(values) != 8) {
        PyErr_SetString(PyExc_ValueError, "pack() needs the eight values of constants()");
        return NULL;
    }
    enabled = PyObject_IsTrue(PyTuple_GET_ITEM(values, 0));
    if (enabled < 0) {
        return NULL;
    }
    lim.enabled = enabled;
    max_gap = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(values, 1), &overflow);
    if (max_gap == -1 && PyErr_Occurred()) {
        return NULL;
    }
    /* Steps are below 2**32: a larger max_gap decides as 2**32 does. */
    lim.max_gap = (overflow > 0 || max_gap > SEQ_MODULUS) ? SEQ_MODULUS : (int64_t)max_gap;
    if (overflow < 0) {
        lim.max_gap = 0;
    }
    lim.has_period = PyTuple_GET_ITEM(values, 2) != Py_None;
    if (lim.has_period) {
        if (!double_item(values, 2, &lim.period) || !double_item(values, 3, &lim.clock_tol)
            || !double_item(values, 4, &lim.allowed_1)) {
            return NULL;
        }
        lim.period_s = lim.period * 1e-6;
    }
    scales = PyTuple_GET_ITEM(values, 5);
    lim.has_scales = scales != Py_None;
    if (lim.has_scales) {
        Py_ssize_t k;
        if (!PyTuple_Check(scales) || PyTuple_GET_SIZE(scales) != 4) {
            PyErr_SetString(PyExc_ValueError, "scales must be a tuple of four numbers");
            return NULL;
        }
        for (k = 0; k < 4; k++) {
            if (!double_item(scales, k, &lim.scales[k])) {
                return NULL;
            }
        }
    }
    if (!double_item(values, 6, &cap) || !double_item(values, 7, &lim.floor)) {
        return NULL;
    }
    /* PlateLimits.in_range's bounds, in its operations. */
    lim.low = -0.25 * cap;
    lim.high = 1.25 * cap;
    lim.total_low = -0.10 * cap;
    return PyBytes_FromStringAndSize((const char *)&lim, sizeof lim);
}

PyDoc_STRVAR(bind_doc,
"bind(LineBatch, empty, new_block, block_rows)\n--\n\n"
"Receive the batch class, the shared empty samples, the block maker and its rows.");

static PyObject *
bind(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *batch_type, *empty, *new_block;
    Py_ssize_t rows;
    if (!PyArg_ParseTuple(args, "O!OOn:bind", &PyType_Type, &batch_type, &empty, &new_block,
                          &rows)) {
        return NULL;
    }
    if (!PyCallable_Check(new_block)) {
        PyErr_SetString(PyExc_TypeError, "new_block must be callable");
        return NULL;
    }
    if (rows < (MAX_BYTES + MAX_LINE) / MIN_LINE + 1) { /* every decided read fits a block */
        PyErr_SetString(PyExc_ValueError, "blocks too small for a read of MAX_BYTES");
        return NULL;
    }
    Py_INCREF(batch_type);
    Py_XSETREF(LineBatchType, batch_type);
    Py_INCREF(empty);
    Py_XSETREF(EmptySamples, empty);
    Py_INCREF(new_block);
    Py_XSETREF(NewBlock, new_block);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"feed", (PyCFunction)(void (*)(void))feed, METH_FASTCALL, feed_doc},
    {"pack", pack, METH_VARARGS, pack_doc},
    {"bind", bind, METH_VARARGS, bind_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_lineplate_c",
    "The line-plate codec's small-batch path in C (see drivers/codecs/lineplate_fast.py).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__lineplate_c(void)
{
    PyObject *module, *modulus;
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&s_residual, "_residual"},   {&s_fast_last, "_fast_last"},
        {&s_last_seq, "_last_seq"},   {&s_track, "_track"},
        {&s_locked, "locked"},        {&s_last, "_last"},
        {&s_jumping, "_jumping"},     {&s_misses, "_misses"},
        {&s_block, "_block"},         {&s_block_rows, "_block_rows"},
        {&s_block_next, "_block_next"}, {&s_lines, "lines"},
        {&s_seq_gaps, "seq_gaps"},    {&s_seq_resets, "seq_resets"},
        {&s_seq_resyncs, "seq_resyncs"}, {&s_samples, "samples"},
        {&s_messages, "messages"},
    };
    size_t k;

    if (sizeof(Sample) != 56 || sizeof(double) != 8) {
        PyErr_SetString(PyExc_ImportError, "unexpected sample layout");
        return NULL;
    }
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (*names[k].slot == NULL) {
            *names[k].slot = PyUnicode_InternFromString(names[k].text);
            if (*names[k].slot == NULL) {
                return NULL;
            }
        }
    }
    module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    modulus = PyLong_FromLongLong(SEQ_MODULUS);
    if (modulus == NULL || PyModule_AddObjectRef(module, "SEQ_MODULUS", modulus) < 0
        || PyModule_AddIntConstant(module, "MAX_BYTES", MAX_BYTES) < 0
        || PyModule_AddIntConstant(module, "MAX_LINE", MAX_LINE) < 0
        || PyModule_AddIntConstant(module, "SAMPLE_SIZE", (long)SAMPLE_SIZE) < 0
        || PyModule_AddIntConstant(module, "COUNT_LIMIT", (long)COUNT_LIMIT) < 0) {
        Py_XDECREF(modulus);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(modulus);
    return module;
}
