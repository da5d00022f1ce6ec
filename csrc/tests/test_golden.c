/*
 * test_golden.c -- the conformance suite's golden vectors against the C ABI.
 *
 *   test_golden [--skip-missing] DIR|FILE...
 *
 * Reads every `*.txt` of each DIR (sorted by name), or each FILE, in the
 * vector format of conformance/README.md ("The vector format (version 1)"),
 * runs each case through the public functions psm_softmax_f32/f64,
 * psm_log_softmax_f32/f64 and psm_logsumexp_f32/f64, and applies the
 * README's passing rule:
 *
 *   softmax, log_softmax: every output within 2 ULP of `expected`, counted on
 *       the bit patterns (subnormals included, -0 == +0); NaN must meet NaN
 *       and an infinity the same infinity.
 *   logsumexp: |output - expected| <= 2 ulp(scale) in the dtype where the
 *       case has a `scale` line; otherwise as softmax.
 *   `expected_at`: only the listed flat indices are checked.
 *
 * Besides: the call must return PSM_OK and leave its input alone, and the
 * in-place call (y == x, on a copy of the input) must give bit for bit the
 * outputs of the out-of-place one (logsumexp too: its header allows
 * out == x).
 *
 * The C ABI reduces contiguous rows of n.  A case whose reduced axes are
 * the trailing axes in order (axis -1, `none`, a 0-d input) runs as it is:
 * rows = product of the kept dimensions, n = product of the reduced ones.
 * Any other axis list is handled as numpy.moveaxis(x, axes, trailing) does
 * it (the generator's own method): the input is transposed into a
 * temporary C-order buffer with the kept axes first, in their order, and
 * the reduced axes last, in the order listed; softmax and log_softmax
 * outputs are transposed back.  logsumexp outputs need no transposition:
 * one per row, in row-major order over the kept axes, which is the order of
 * the expected values (the input's shape without the reduced axes).
 *
 * Output: one summary line per file, every failure with file, line, case,
 * index and both values in %a (at most MAX_SHOWN_FAILURES per case; the
 * rest are counted), and a total.  Exit status: 0 if everything passed, 1
 * on any failure or error in a file, 2 on a usage error, 77 (CTest's skip)
 * with --skip-missing when a path does not exist: that is csrc/ built
 * without the repository's conformance/ next to it.
 *
 * A 0-d input (`shape` with no dimensions, `axis none`) is one row of n = 1.
 *
 * The parsing is standard C99 (getc into a growing buffer, so lines of any
 * length; strtod, strtol, strtoull); only the directory listing needs POSIX
 * (or Win32).  It is strict: a wrong first line, an unknown or repeated key,
 * a malformed number, a count that does not match the shape, an axis out of
 * range or repeated, or a float32 case value that is not a float32 number is
 * an error naming the file and line, and stops the reading of that file.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* opendir, readdir, stat: C99 cannot list a directory */
#endif

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <sys/stat.h>
#endif

#include "pysoftmax.h"
#include "psm_test.h"

#define FORMAT_LINE "pysoftmax-vectors 1"
#define FORMAT_PREFIX "pysoftmax-vectors "
#define MAX_DIMS 8
#define BOUND_ULP 2.0
#define MAX_SHOWN_FAILURES 50 /* per case; further ones are counted */
#define SKIP_EXIT_STATUS 77

enum { SOFTMAX, LOG_SOFTMAX, LOGSUMEXP, FUNCTIONS };
static const char *const function_names[FUNCTIONS] = {"softmax", "log_softmax", "logsumexp"};

enum { FLOAT32, FLOAT64, DTYPES };
static const char *const dtype_names[DTYPES] = {"float32", "float64"};

enum {
    K_CASE,
    K_FUNCTION,
    K_DTYPE,
    K_SHAPE,
    K_AXIS,
    K_TEMPERATURE,
    K_INPUT,
    K_INPUT_RECIPE,
    K_EXPECTED,
    K_EXPECTED_AT,
    K_SCALE,
    K_END,
    KEYS
};
static const char *const key_names[KEYS] = {
    "case",         "function", "dtype",       "shape", "axis", "temperature", "input",
    "input_recipe", "expected", "expected_at", "scale", "end"};

/* ------------------------------------------------------------------ growing arrays */

typedef struct {
    double *data;
    size_t count, capacity;
} double_list;

typedef struct {
    size_t *data;
    size_t count, capacity;
} index_list;

typedef struct {
    char **data;
    size_t count, capacity;
} string_list;

/* Makes room for one more element of `size` bytes; 0 when out of memory. */
static int reserve(void **data, size_t *capacity, size_t count, size_t size)
{
    size_t new_capacity;
    void *grown;
    if (count < *capacity)
        return 1;
    new_capacity = *capacity ? *capacity : 16;
    while (new_capacity <= count) {
        if (new_capacity > SIZE_MAX / 2 / size)
            return 0;
        new_capacity *= 2;
    }
    grown = realloc(*data, new_capacity * size);
    if (grown == NULL)
        return 0;
    *data = grown;
    *capacity = new_capacity;
    return 1;
}

static int push_double(double_list *list, double value)
{
    void *data = list->data;
    if (!reserve(&data, &list->capacity, list->count, sizeof *list->data))
        return 0;
    list->data = (double *)data;
    list->data[list->count++] = value;
    return 1;
}

static int push_index(index_list *list, size_t value)
{
    void *data = list->data;
    if (!reserve(&data, &list->capacity, list->count, sizeof *list->data))
        return 0;
    list->data = (size_t *)data;
    list->data[list->count++] = value;
    return 1;
}

/* A malloc'd copy of text[0..length). */
static char *copy_text(const char *text, size_t length)
{
    char *copy = (char *)malloc(length + 1);
    if (copy != NULL) {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

/* Appends a copy of `text` (not `text` itself); 0 when out of memory. */
static int push_string(string_list *list, const char *text)
{
    void *data = list->data;
    char *copy;
    if (!reserve(&data, &list->capacity, list->count, sizeof *list->data))
        return 0;
    list->data = (char **)data;
    copy = copy_text(text, strlen(text));
    if (copy == NULL)
        return 0;
    list->data[list->count++] = copy;
    return 1;
}

static void free_strings(string_list *list)
{
    size_t i;
    for (i = 0; i < list->count; i++)
        free(list->data[i]);
    free(list->data);
    list->data = NULL;
    list->count = list->capacity = 0;
}

static void out_of_memory(const char *what)
{
    printf("test_golden: error: out of memory (%s)\n", what);
}

/* ------------------------------------------------------------------ reading lines */

typedef struct {
    FILE *file;
    const char *path;
    char *text; /* the current line, without its end of line or trailing blanks */
    size_t length, capacity;
    unsigned long number; /* of the current line, from 1 */
} line_reader;

/* Reads the next line, however long, into reader->text.  1: a line; 0: end
 * of file; -1: an error (printed). */
static int read_line(line_reader *reader)
{
    size_t length = 0;
    int c, seen = 0;
    if (reader->text == NULL) {
        reader->capacity = 4096;
        reader->text = (char *)malloc(reader->capacity);
        if (reader->text == NULL) {
            reader->capacity = 0;
            out_of_memory("a line of a vector file");
            return -1;
        }
    }
    for (;;) {
        c = getc(reader->file);
        if (c == EOF)
            break;
        seen = 1;
        if (c == '\n')
            break;
        if (c == '\0') {
            printf("%s:%lu: error: NUL byte in the line\n", reader->path, reader->number + 1);
            return -1;
        }
        if (length + 1 >= reader->capacity) {
            void *data = reader->text;
            if (!reserve(&data, &reader->capacity, length + 1, 1)) {
                out_of_memory("a line of a vector file");
                return -1;
            }
            reader->text = (char *)data;
        }
        reader->text[length++] = (char)c;
    }
    if (ferror(reader->file)) {
        printf("%s:%lu: error: cannot read the file\n", reader->path, reader->number + 1);
        return -1;
    }
    if (!seen)
        return 0;
    /* "\r\n" line ends and trailing blanks are not part of the line. */
    while (length > 0 && (reader->text[length - 1] == '\r' || reader->text[length - 1] == ' ' ||
                          reader->text[length - 1] == '\t'))
        length--;
    reader->text[length] = '\0';
    reader->length = length;
    reader->number++;
    return 1;
}

/* ------------------------------------------------------------------ tokens, numbers */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next blank-separated token at *cursor: its start and length (0 at the
 * end of the line); *cursor moves past it. */
static size_t next_token(const char **cursor, const char **start)
{
    const char *p = *cursor;
    size_t length = 0;
    while (is_blank(*p))
        p++;
    *start = p;
    while (p[length] != '\0' && !is_blank(p[length]))
        length++;
    *cursor = p + length;
    return length;
}

/* A number as the format writes it (C99 hex float, inf, -inf, nan; strtod
 * takes decimal too): the whole token must be the number, and a finite
 * number too large for a double is an error (a tiny one is not: strtod may
 * flag an exact subnormal with ERANGE). */
static int parse_double(const char *token, size_t length, double *value)
{
    char *end;
    double v;
    if (length == 0)
        return 0;
    errno = 0;
    v = strtod(token, &end);
    if (end != token + length)
        return 0;
    if (errno == ERANGE && isinf(v))
        return 0;
    *value = v;
    return 1;
}

/* An unsigned decimal integer (no sign, no blanks) up to `maximum`. */
static int parse_unsigned(const char *token, size_t length, unsigned long long maximum,
                          unsigned long long *value)
{
    char *end;
    unsigned long long v;
    if (length == 0 || token[0] < '0' || token[0] > '9')
        return 0;
    errno = 0;
    v = strtoull(token, &end, 10);
    if (end != token + length || errno == ERANGE || v > maximum)
        return 0;
    *value = v;
    return 1;
}

/* A signed decimal integer in [-MAX_DIMS, MAX_DIMS] (an axis). */
static int parse_axis(const char *token, size_t length, long *value)
{
    char *end;
    long v;
    if (length == 0 ||
        !(token[0] == '-' || token[0] == '+' || (token[0] >= '0' && token[0] <= '9')))
        return 0;
    errno = 0;
    v = strtol(token, &end, 10);
    if (end != token + length || errno == ERANGE || v < -MAX_DIMS || v > MAX_DIMS)
        return 0;
    *value = v;
    return 1;
}

/* double -> float rounded to nearest, overflowing to +-inf as IEEE does
 * (a C cast of a value outside float's range is undefined behaviour). */
static float to_float(double value)
{
    /* Halfway between FLT_MAX and 2^128: from there on, round to inf. */
    const double overflow = 0x1.ffffffp+127;
    if (value >= overflow)
        return (float)INFINITY;
    if (value <= -overflow)
        return -(float)INFINITY;
    return (float)value;
}

/* Whether a double is exactly a float32 value (NaN counts as one). */
static int is_float32_value(double value)
{
    if (isnan(value) || isinf(value))
        return 1;
    if (fabs(value) > FLT_MAX)
        return 0;
    return (double)(float)value == value;
}

/* The spacing of the dtype's numbers at |value| (the subnormal spacing below
 * the normal range), as conformance/reference.py's ulp(). */
static double ulp_of(int dtype_index, double value)
{
    const int bits = dtype_index == FLOAT32 ? 24 : 53;
    const int min_exponent = dtype_index == FLOAT32 ? -126 : -1022;
    double magnitude = fabs(value);
    int top = min_exponent, exponent;
    if (magnitude > 0.0) {
        (void)frexp(magnitude, &exponent);
        top = exponent - 1;
    }
    if (top < min_exponent)
        top = min_exponent;
    return ldexp(1.0, top - (bits - 1));
}

/* ------------------------------------------------------------------ the uniform recipe */

/* splitmix64, all arithmetic modulo 2^64 on uint64_t. */
static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z;
    *state += UINT64_C(0x9E3779B97F4A7C15);
    z = *state;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The `uniform SEED LOW HIGH` recipe: value i = LOW + (HIGH - LOW) * u_i in
 * double, u_i = (next() >> 11) * 2^-53, then rounded to the dtype. */
static void uniform_recipe(uint64_t seed, double low, double high, int dtype_index, void *values,
                           size_t count)
{
    uint64_t state = seed;
    size_t i;
    for (i = 0; i < count; i++) {
        /* Exact: a 53-bit integer times a power of two. */
        double u = (double)(splitmix64_next(&state) >> 11) * 0x1p-53;
        double span = high - low;
        /* Each rounding in a statement of its own, and through volatile
         * doubles: (HIGH - LOW) * u must NOT be contracted with the addition
         * into a fused multiply-add (one rounding instead of two would give
         * other inputs than the generator's), nor be kept in a wider
         * register (x87).  The CMake build passes -ffp-contract=off as well;
         * the volatiles keep this right in any other build of this file. */
        volatile double product = span * u;
        volatile double value = low + product;
        if (dtype_index == FLOAT32)
            ((float *)values)[i] = to_float(value);
        else
            ((double *)values)[i] = value;
    }
}

/* ------------------------------------------------------------------ one case */

typedef struct {
    unsigned long line[KEYS]; /* where each key was given; 0: not given */
    char *name;
    int function, dtype_index;
    int ndim;
    size_t shape[MAX_DIMS];
    int axis_none, naxes;
    long axes[MAX_DIMS];
    double temperature;
    double_list input;
    uint64_t seed;
    double low, high;
    double_list expected; /* `expected` or the values of `expected_at` */
    index_list expected_index; /* `expected_at`: the flat indices */
    double_list scale;
} vector_case;

static void reset_case(vector_case *c)
{
    free(c->name);
    free(c->input.data);
    free(c->expected.data);
    free(c->expected_index.data);
    free(c->scale.data);
    memset(c, 0, sizeof *c);
    c->function = -1;
    c->dtype_index = -1;
}

/* What one file's run found. */
typedef struct {
    const char *path;
    long cases, outputs, in_place, failures, errors;
    double worst;
    char worst_case[96];
    size_t worst_index;
} file_stats;

static void note_worst(file_stats *stats, const vector_case *c, size_t index, double error)
{
    if (error > stats->worst || stats->outputs == 0) {
        stats->worst = error;
        stats->worst_index = index;
        snprintf(stats->worst_case, sizeof stats->worst_case, "%s", c->name);
    }
}

/* A failure of a case: counted, printed while the case has printed fewer
 * than MAX_SHOWN_FAILURES. */
static void report_failure(file_stats *stats, const vector_case *c, unsigned long line,
                           long *shown, const char *format, ...)
{
    va_list args;
    stats->failures++;
    if (++*shown > MAX_SHOWN_FAILURES)
        return;
    printf("FAIL %s:%lu: case %s (%s %s): ", stats->path, line, c->name,
           function_names[c->function], dtype_names[c->dtype_index]);
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
}

/* How the kernel sees a case: the transposition (if any) and rows x n. */
typedef struct {
    int perm[MAX_DIMS]; /* moved axis k is original axis perm[k] */
    int identity;       /* no transposition needed */
    size_t rows, n, count, out_count;
} layout;

/* Copies between the original C-order array and its moved copy (C order
 * over shape[perm[0]], ..., shape[perm[ndim-1]]): to_moved gathers,
 * otherwise scatters back. */
static void permute(const unsigned char *source, unsigned char *destination, size_t size, int ndim,
                    const size_t *shape, const int *perm, int to_moved)
{
    size_t stride[MAX_DIMS], moved_shape[MAX_DIMS], moved_stride[MAX_DIMS], index[MAX_DIMS];
    size_t total = 1, i, offset = 0;
    int k;
    for (k = ndim - 1; k >= 0; k--) {
        stride[k] = total;
        total *= shape[k];
    }
    if (total == 0)
        return;
    for (k = 0; k < ndim; k++) {
        moved_shape[k] = shape[perm[k]];
        moved_stride[k] = stride[perm[k]];
        index[k] = 0;
    }
    for (i = 0; i < total; i++) {
        if (to_moved)
            memcpy(destination + i * size, source + offset * size, size);
        else
            memcpy(destination + offset * size, source + i * size, size);
        for (k = ndim - 1; k >= 0; k--) {
            offset += moved_stride[k];
            if (++index[k] < moved_shape[k])
                break;
            offset -= moved_stride[k] * moved_shape[k];
            index[k] = 0;
        }
    }
}

/* Prints "PATH:LINE: error: case NAME: ..." for a malformed case. */
static void case_error(const char *path, unsigned long line, const vector_case *c,
                       const char *format, ...)
{
    va_list args;
    printf("%s:%lu: error: case %s: ", path, line, c->name ? c->name : "(unnamed)");
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
}

/* Checks that a case read up to its `end` line is complete and consistent,
 * and works out its layout.  0 on success; -1 (printed) otherwise. */
static int validate_case(const char *path, unsigned long end_line, const vector_case *c,
                         layout *view)
{
    static const int required[] = {K_CASE, K_FUNCTION, K_DTYPE, K_SHAPE, K_AXIS};
    int reduced[MAX_DIMS] = {0};
    size_t count = 1, rows = 1, n = 1, i;
    int k, a, kept = 0;
    const double_list *lists[3];
    const int list_keys[3] = {K_INPUT, K_EXPECTED, K_SCALE};

    for (i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!c->line[required[i]]) {
            case_error(path, end_line, c, "no '%s' line", key_names[required[i]]);
            return -1;
        }
    if (!c->line[K_INPUT] == !c->line[K_INPUT_RECIPE]) {
        case_error(path, end_line, c, "needs exactly one of 'input' and 'input_recipe'");
        return -1;
    }
    if (!c->line[K_EXPECTED] == !c->line[K_EXPECTED_AT]) {
        case_error(path, end_line, c, "needs exactly one of 'expected' and 'expected_at'");
        return -1;
    }
    if (c->function == LOGSUMEXP && c->line[K_TEMPERATURE]) {
        case_error(path, c->line[K_TEMPERATURE], c, "logsumexp takes no temperature");
        return -1;
    }
    if (c->function != LOGSUMEXP && c->line[K_SCALE]) {
        case_error(path, c->line[K_SCALE], c, "'scale' is for logsumexp only");
        return -1;
    }

    /* Sizes: the product of the dimensions must not overflow (in bytes). */
    for (k = 0; k < c->ndim; k++) {
        if (c->shape[k] != 0 && count > (SIZE_MAX / sizeof(double)) / c->shape[k]) {
            case_error(path, c->line[K_SHAPE], c, "the shape is too large");
            return -1;
        }
        count *= c->shape[k];
    }

    /* Axes: `none` is every axis in order; otherwise each in [-ndim, ndim),
     * none repeated. */
    if (c->axis_none) {
        for (k = 0; k < c->ndim; k++)
            view->perm[k] = k;
        for (k = 0; k < c->ndim; k++)
            n *= c->shape[k];
    } else {
        for (k = 0; k < c->naxes; k++) {
            long axis = c->axes[k];
            if (axis < -(long)c->ndim || axis >= (long)c->ndim) {
                case_error(path, c->line[K_AXIS], c, "axis %ld is out of range for %d dimensions",
                           axis, c->ndim);
                return -1;
            }
            a = (int)(axis < 0 ? axis + c->ndim : axis);
            if (reduced[a]) {
                case_error(path, c->line[K_AXIS], c, "axis %ld is repeated", axis);
                return -1;
            }
            reduced[a] = 1;
        }
        for (a = 0; a < c->ndim; a++)
            if (!reduced[a]) {
                view->perm[kept++] = a;
                rows *= c->shape[a];
            }
        for (k = 0; k < c->naxes; k++) {
            a = (int)(c->axes[k] < 0 ? c->axes[k] + c->ndim : c->axes[k]);
            view->perm[kept + k] = a;
            n *= c->shape[a];
        }
    }
    view->identity = 1;
    for (k = 0; k < c->ndim; k++)
        if (view->perm[k] != k)
            view->identity = 0;
    view->rows = rows;
    view->n = n;
    view->count = count; /* == rows * n */
    view->out_count = c->function == LOGSUMEXP ? rows : count;

    /* Counts. */
    if (c->line[K_INPUT] && c->input.count != count) {
        case_error(path, c->line[K_INPUT], c, "%zu input values for a shape of %zu elements",
                   c->input.count, count);
        return -1;
    }
    if (c->line[K_EXPECTED] && c->expected.count != view->out_count) {
        case_error(path, c->line[K_EXPECTED], c, "%zu expected values for %zu outputs",
                   c->expected.count, view->out_count);
        return -1;
    }
    if (c->line[K_EXPECTED_AT] && c->expected_index.count == 0) {
        case_error(path, c->line[K_EXPECTED_AT], c, "'expected_at' lists no INDEX:VALUE");
        return -1;
    }
    for (i = 0; i < c->expected_index.count; i++)
        if (c->expected_index.data[i] >= view->out_count) {
            case_error(path, c->line[K_EXPECTED_AT], c, "index %zu is out of range (%zu outputs)",
                       c->expected_index.data[i], view->out_count);
            return -1;
        }
    if (c->line[K_SCALE] && c->scale.count != view->out_count) {
        case_error(path, c->line[K_SCALE], c, "%zu scale values for %zu outputs", c->scale.count,
                   view->out_count);
        return -1;
    }
    for (i = 0; i < c->scale.count; i++)
        if (!isfinite(c->scale.data[i])) {
            case_error(path, c->line[K_SCALE], c, "scale value %zu is not finite", i);
            return -1;
        }

    /* Every value of a float32 case must be a float32 value. */
    if (c->dtype_index == FLOAT32) {
        lists[0] = &c->input;
        lists[1] = &c->expected;
        lists[2] = &c->scale;
        for (k = 0; k < 3; k++)
            for (i = 0; i < lists[k]->count; i++)
                if (!is_float32_value(lists[k]->data[i])) {
                    unsigned long line = c->line[list_keys[k]];
                    if (!line)
                        line = c->line[K_EXPECTED_AT];
                    case_error(path, line, c, "value %zu (%a) is not a float32 value", i,
                               lists[k]->data[i]);
                    return -1;
                }
        if (c->line[K_TEMPERATURE] && !is_float32_value(c->temperature)) {
            case_error(path, c->line[K_TEMPERATURE], c, "the temperature %a is not a float32 value",
                       c->temperature);
            return -1;
        }
    }
    return 0;
}

/* The error of one output in ULP (of the output's dtype, or of its scale),
 * and whether it passes. */
static double output_error(int dtype_index, const dtype *t, double got, double expected,
                           const double *scale, int *pass)
{
    double error;
    if (isnan(got) || isnan(expected) || isinf(got) || isinf(expected)) {
        *pass = (isnan(got) && isnan(expected)) || got == expected;
        return *pass ? 0.0 : INFINITY;
    }
    if (scale != NULL) {
        double ulp = ulp_of(dtype_index, *scale), difference = fabs(got - expected);
        *pass = difference <= BOUND_ULP * ulp;
        return difference / ulp;
    }
    error = (double)ulp_distance(t, got, expected);
    *pass = error <= BOUND_ULP;
    return error;
}

static int call_kernel(const vector_case *c, const dtype *t, const void *x, void *y,
                       const layout *view)
{
    if (c->function == LOGSUMEXP)
        return t->logsumexp(x, y, view->rows, view->n);
    return t->normalize[c->function == LOG_SOFTMAX](x, y, view->rows, view->n,
                                                    c->line[K_TEMPERATURE] ? c->temperature : 1.0);
}

/* Runs a validated case and checks it.  0, or -1 when out of memory. */
static int run_case(const vector_case *c, const layout *view, file_stats *stats)
{
    const dtype *t = &dtypes[c->dtype_index == FLOAT32 ? 0 : 1];
    const size_t size = t->size;
    const unsigned long expected_line =
        c->line[K_EXPECTED] ? c->line[K_EXPECTED] : c->line[K_EXPECTED_AT];
    size_t in_place_count = view->count > view->out_count ? view->count : view->out_count;
    unsigned char *x = NULL, *moved = NULL, *saved = NULL, *y = NULL, *z = NULL, *restored = NULL;
    const unsigned char *kernel_input, *output;
    size_t i, checked;
    long shown = 0;
    int status, result = -1;

    if (in_place_count == 0)
        in_place_count = 1;
    x = (unsigned char *)malloc((view->count ? view->count : 1) * size);
    saved = (unsigned char *)malloc((view->count ? view->count : 1) * size);
    y = (unsigned char *)malloc((view->out_count ? view->out_count : 1) * size);
    z = (unsigned char *)malloc(in_place_count * size);
    if (x == NULL || saved == NULL || y == NULL || z == NULL)
        goto out_of_memory;
    if (!view->identity) {
        moved = (unsigned char *)malloc((view->count ? view->count : 1) * size);
        restored = (unsigned char *)malloc((view->count ? view->count : 1) * size);
        if (moved == NULL || restored == NULL)
            goto out_of_memory;
    }

    /* The input, in the dtype. */
    if (c->line[K_INPUT_RECIPE])
        uniform_recipe(c->seed, c->low, c->high, c->dtype_index, x, view->count);
    else
        for (i = 0; i < view->count; i++)
            set(t, x, i, c->input.data[i]); /* exact: checked by validate_case */
    kernel_input = x;
    if (!view->identity) {
        permute(x, moved, size, c->ndim, c->shape, view->perm, 1);
        kernel_input = moved;
    }
    memcpy(saved, kernel_input, view->count * size);
    memset(y, 0xA5, (view->out_count ? view->out_count : 1) * size);

    stats->cases++;
    status = call_kernel(c, t, kernel_input, y, view);
    if (status != PSM_OK) {
        report_failure(stats, c, c->line[K_CASE], &shown, "returned %d (%s)", status,
                       psm_strerror(status));
        result = 0;
        goto done;
    }
    if (memcmp(saved, kernel_input, view->count * size) != 0)
        report_failure(stats, c, c->line[K_CASE], &shown, "the input was modified");

    /* In place: on a copy of the kernel's input, bit for bit the same. */
    memcpy(z, saved, view->count * size);
    status = call_kernel(c, t, z, z, view);
    if (status != PSM_OK) {
        report_failure(stats, c, c->line[K_CASE], &shown, "in place: returned %d (%s)", status,
                       psm_strerror(status));
    } else {
        for (i = 0; i < view->out_count; i++) {
            stats->in_place++;
            if (memcmp(z + i * size, y + i * size, size) != 0)
                report_failure(stats, c, c->line[K_CASE], &shown,
                               "in place: output %zu (row %zu of the kernel's layout) is %a, "
                               "out of place %a",
                               i, c->function == LOGSUMEXP ? i : i / view->n, get(t, z, i),
                               get(t, y, i));
        }
    }

    output = y;
    if (!view->identity && c->function != LOGSUMEXP) {
        permute(y, restored, size, c->ndim, c->shape, view->perm, 0);
        output = restored;
    }

    /* The passing rule. */
    checked = c->expected_index.count ? c->expected_index.count : c->expected.count;
    for (i = 0; i < checked; i++) {
        size_t index = c->expected_index.count ? c->expected_index.data[i] : i;
        double got = get(t, output, index), expected = c->expected.data[i], error;
        const double *scale = c->scale.count ? &c->scale.data[index] : NULL;
        int pass;
        error = output_error(c->dtype_index, t, got, expected, scale, &pass);
        note_worst(stats, c, index, error);
        stats->outputs++;
        if (!pass) {
            if (scale != NULL)
                report_failure(stats, c, expected_line, &shown,
                               "output %zu: got %a, expected %a: %.3g ULP of the scale %a "
                               "(bound %g)",
                               index, got, expected, error, *scale, BOUND_ULP);
            else
                report_failure(stats, c, expected_line, &shown,
                               "output %zu: got %a, expected %a: %.3g ULP (bound %g)", index, got,
                               expected, error, BOUND_ULP);
        }
    }
    result = 0;
    goto done;

out_of_memory:
    out_of_memory("the arrays of a case");
done:
    if (shown > MAX_SHOWN_FAILURES)
        printf("FAIL %s: case %s: %ld more failures not shown\n", stats->path, c->name,
               shown - MAX_SHOWN_FAILURES);
    free(x);
    free(moved);
    free(saved);
    free(y);
    free(z);
    free(restored);
    return result;
}

/* ------------------------------------------------------------------ parsing a file */

/* Parses the values of one key line (everything after the key) into the
 * case.  0 on success; -1 (printed) otherwise. */
static int parse_key(const char *path, unsigned long line, int key, const char *rest,
                     vector_case *c)
{
    const char *token, *cursor = rest;
    size_t length;
    double value;
    unsigned long long integer;

#define PARSE_FAIL(...)                                                                            \
    do {                                                                                           \
        printf("%s:%lu: error: ", path, line);                                                     \
        printf(__VA_ARGS__);                                                                       \
        putchar('\n');                                                                             \
        return -1;                                                                                 \
    } while (0)
#define ONE_TOKEN_LEFT()                                                                           \
    do {                                                                                           \
        const char *extra_;                                                                        \
        if (next_token(&cursor, &extra_) != 0)                                                     \
            PARSE_FAIL("'%s' takes one value; unexpected '%.60s'", key_names[key], extra_);        \
    } while (0)
#define NUMBER_FAIL()                                                                              \
    PARSE_FAIL("'%s': '%.*s' is not a number (or overflows a double)", key_names[key],             \
               (int)(length > 60 ? 60 : length), token)
#define NO_MEMORY()                                                                                \
    do {                                                                                           \
        out_of_memory("the values of a case");                                                     \
        return -1;                                                                                 \
    } while (0)

    switch (key) {
    case K_CASE:
        while (is_blank(*cursor))
            cursor++;
        if (*cursor == '\0')
            PARSE_FAIL("'case' without a name");
        c->name = copy_text(cursor, strlen(cursor));
        if (c->name == NULL)
            NO_MEMORY();
        return 0;
    case K_FUNCTION:
    case K_DTYPE: {
        const char *const *names = key == K_FUNCTION ? function_names : dtype_names;
        int count = key == K_FUNCTION ? FUNCTIONS : DTYPES, k;
        length = next_token(&cursor, &token);
        for (k = 0; k < count; k++)
            if (strlen(names[k]) == length && strncmp(token, names[k], length) == 0)
                break;
        if (k == count)
            PARSE_FAIL("unknown %s '%.*s'", key_names[key], (int)(length > 60 ? 60 : length),
                       token);
        ONE_TOKEN_LEFT();
        if (key == K_FUNCTION)
            c->function = k;
        else
            c->dtype_index = k;
        return 0;
    }
    case K_SHAPE:
        while ((length = next_token(&cursor, &token)) != 0) {
            if (c->ndim == MAX_DIMS)
                PARSE_FAIL("more than %d dimensions", MAX_DIMS);
            if (!parse_unsigned(token, length, SIZE_MAX, &integer))
                PARSE_FAIL("'shape': '%.*s' is not a dimension", (int)(length > 60 ? 60 : length),
                           token);
            c->shape[c->ndim++] = (size_t)integer;
        }
        return 0;
    case K_AXIS:
        length = next_token(&cursor, &token);
        if (length == 4 && strncmp(token, "none", 4) == 0) {
            c->axis_none = 1;
            ONE_TOKEN_LEFT();
            return 0;
        }
        if (length == 0)
            PARSE_FAIL("'axis' needs axes or 'none'");
        do {
            if (c->naxes == MAX_DIMS)
                PARSE_FAIL("more than %d axes", MAX_DIMS);
            if (!parse_axis(token, length, &c->axes[c->naxes]))
                PARSE_FAIL("'axis': '%.*s' is not an axis", (int)(length > 60 ? 60 : length),
                           token);
            c->naxes++;
        } while ((length = next_token(&cursor, &token)) != 0);
        return 0;
    case K_TEMPERATURE:
        length = next_token(&cursor, &token);
        if (!parse_double(token, length, &c->temperature))
            NUMBER_FAIL();
        ONE_TOKEN_LEFT();
        return 0;
    case K_INPUT:
    case K_EXPECTED:
    case K_SCALE: {
        double_list *list =
            key == K_INPUT ? &c->input : key == K_EXPECTED ? &c->expected : &c->scale;
        while ((length = next_token(&cursor, &token)) != 0) {
            if (!parse_double(token, length, &value))
                NUMBER_FAIL();
            if (!push_double(list, value))
                NO_MEMORY();
        }
        return 0;
    }
    case K_INPUT_RECIPE:
        length = next_token(&cursor, &token);
        if (!(length == 7 && strncmp(token, "uniform", 7) == 0))
            PARSE_FAIL("unknown input recipe '%.*s' (this reader knows 'uniform')",
                       (int)(length > 60 ? 60 : length), token);
        length = next_token(&cursor, &token);
        if (!parse_unsigned(token, length, UINT64_MAX, &integer))
            PARSE_FAIL("'input_recipe uniform': the seed '%.*s' is not an unsigned 64-bit integer",
                       (int)(length > 60 ? 60 : length), token);
        c->seed = (uint64_t)integer;
        length = next_token(&cursor, &token);
        if (!parse_double(token, length, &c->low) || !isfinite(c->low))
            PARSE_FAIL("'input_recipe uniform': LOW '%.*s' is not a finite number",
                       (int)(length > 60 ? 60 : length), token);
        length = next_token(&cursor, &token);
        if (!parse_double(token, length, &c->high) || !isfinite(c->high))
            PARSE_FAIL("'input_recipe uniform': HIGH '%.*s' is not a finite number",
                       (int)(length > 60 ? 60 : length), token);
        if (next_token(&cursor, &token) != 0)
            PARSE_FAIL("'input_recipe uniform' takes SEED LOW HIGH; unexpected '%.60s'", token);
        return 0;
    case K_EXPECTED_AT:
        while ((length = next_token(&cursor, &token)) != 0) {
            const char *colon = (const char *)memchr(token, ':', length);
            size_t index_length = colon ? (size_t)(colon - token) : 0;
            if (colon == NULL || !parse_unsigned(token, index_length, SIZE_MAX, &integer) ||
                !parse_double(colon + 1, length - index_length - 1, &value))
                PARSE_FAIL("'expected_at': '%.*s' is not INDEX:VALUE",
                           (int)(length > 60 ? 60 : length), token);
            if (!push_index(&c->expected_index, (size_t)integer) ||
                !push_double(&c->expected, value))
                NO_MEMORY();
        }
        return 0;
    default:
        return -1;
    }
#undef PARSE_FAIL
#undef ONE_TOKEN_LEFT
#undef NUMBER_FAIL
#undef NO_MEMORY
}

/* Reads, runs and checks every case of one file; prints its summary line.
 * 0 when the file was read to its end, -1 on an error (printed). */
static int run_file(const char *path, file_stats *stats)
{
    line_reader reader;
    vector_case c;
    string_list names = {NULL, 0, 0};
    int in_case = 0, result = -1, status;

    memset(stats, 0, sizeof *stats);
    stats->path = path;
    memset(&reader, 0, sizeof reader);
    memset(&c, 0, sizeof c);
    reset_case(&c);
    reader.path = path;
    reader.file = fopen(path, "rb");
    if (reader.file == NULL) {
        printf("%s: error: cannot open: %s\n", path, strerror(errno));
        stats->errors++;
        return -1;
    }

    status = read_line(&reader);
    if (status < 0)
        goto finish;
    if (status == 0 || strcmp(reader.text, FORMAT_LINE) != 0) {
        if (status > 0 && strncmp(reader.text, FORMAT_PREFIX, strlen(FORMAT_PREFIX)) == 0)
            printf("%s:1: error: unsupported format version '%.40s' (this reader knows '%s')\n",
                   path, reader.text + strlen(FORMAT_PREFIX), FORMAT_LINE);
        else
            printf("%s:1: error: not a vector file: the first line is '%.60s', not '%s'\n", path,
                   status > 0 ? reader.text : "", FORMAT_LINE);
        goto finish;
    }

    while ((status = read_line(&reader)) > 0) {
        const char *text = reader.text, *rest;
        size_t key_length = 0;
        int key;
        if (reader.length == 0 || text[0] == '#')
            continue;
        while (text[key_length] != '\0' && !is_blank(text[key_length]))
            key_length++;
        rest = text + key_length;
        for (key = 0; key < KEYS; key++)
            if (strlen(key_names[key]) == key_length &&
                strncmp(text, key_names[key], key_length) == 0)
                break;
        if (key == KEYS) {
            printf("%s:%lu: error: unknown key '%.*s'\n", path, reader.number,
                   (int)(key_length > 60 ? 60 : key_length), text);
            goto finish;
        }
        if (c.line[key]) {
            printf("%s:%lu: error: '%s' given twice in a case (first on line %lu)\n", path,
                   reader.number, key_names[key], c.line[key]);
            goto finish;
        }
        in_case = 1;
        if (key == K_END) {
            layout view;
            int duplicate = 0;
            size_t i;
            if (*rest != '\0') {
                printf("%s:%lu: error: 'end' takes no value\n", path, reader.number);
                goto finish;
            }
            if (validate_case(path, reader.number, &c, &view) != 0)
                goto finish;
            /* A name is unique within its function and dtype: remembered as
             * "FUNCTION DTYPE NAME". */
            {
                size_t length = strlen(function_names[c.function]) +
                                strlen(dtype_names[c.dtype_index]) + strlen(c.name) + 3;
                char *identity = (char *)malloc(length);
                if (identity == NULL) {
                    out_of_memory("the case names");
                    goto finish;
                }
                sprintf(identity, "%s %s %s", function_names[c.function],
                        dtype_names[c.dtype_index], c.name);
                for (i = 0; i < names.count; i++)
                    if (strcmp(names.data[i], identity) == 0)
                        duplicate = 1;
                if (!duplicate && !push_string(&names, identity)) {
                    free(identity);
                    out_of_memory("the case names");
                    goto finish;
                }
                free(identity);
            }
            if (duplicate) {
                case_error(path, c.line[K_CASE], &c, "a second %s %s case of this name",
                           function_names[c.function], dtype_names[c.dtype_index]);
                goto finish;
            }
            if (run_case(&c, &view, stats) != 0)
                goto finish;
            reset_case(&c);
            in_case = 0;
            continue;
        }
        c.line[key] = reader.number;
        if (parse_key(path, reader.number, key, rest, &c) != 0)
            goto finish;
    }
    if (status < 0)
        goto finish;
    if (in_case) {
        case_error(path, reader.number, &c, "the file ends before the case's 'end'");
        goto finish;
    }
    result = 0;

finish:
    if (result != 0)
        stats->errors++;
    if (stats->outputs == 0)
        printf("%s: %ld cases, 0 outputs checked, %ld failures%s\n", path, stats->cases,
               stats->failures, result != 0 ? ", ERROR: stopped (see above)" : "");
    else if (stats->worst == 0.0)
        printf("%s: %ld cases, %ld outputs checked (and %ld in place), worst 0 ULP, "
               "%ld failures%s\n",
               path, stats->cases, stats->outputs, stats->in_place, stats->failures,
               result != 0 ? ", ERROR: stopped (see above)" : "");
    else
        printf("%s: %ld cases, %ld outputs checked (and %ld in place), worst %.3g ULP "
               "(case %s, output %zu), %ld failures%s\n",
               path, stats->cases, stats->outputs, stats->in_place, stats->worst,
               stats->worst_case, stats->worst_index, stats->failures,
               result != 0 ? ", ERROR: stopped (see above)" : "");
    reset_case(&c);
    free_strings(&names);
    free(reader.text);
    fclose(reader.file);
    return result;
}

/* ------------------------------------------------------------------ paths */

enum { PATH_MISSING, PATH_FILE, PATH_DIRECTORY };

static int path_kind(const char *path)
{
#ifdef _WIN32
    DWORD attributes = GetFileAttributesA(path);
    if (attributes == INVALID_FILE_ATTRIBUTES)
        return PATH_MISSING;
    return (attributes & FILE_ATTRIBUTE_DIRECTORY) ? PATH_DIRECTORY : PATH_FILE;
#else
    struct stat info;
    if (stat(path, &info) != 0)
        return PATH_MISSING;
    return S_ISDIR(info.st_mode) ? PATH_DIRECTORY : PATH_FILE;
#endif
}

static int has_txt_suffix(const char *name)
{
    size_t length = strlen(name);
    return name[0] != '.' && length > 4 && strcmp(name + length - 4, ".txt") == 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends DIR/NAME (allocated). */
static int push_joined(string_list *files, const char *directory, const char *name)
{
    size_t a = strlen(directory), b = strlen(name);
    char *joined = (char *)malloc(a + b + 2);
    int ok;
    if (joined == NULL)
        return 0;
    memcpy(joined, directory, a);
    joined[a] = '/';
    memcpy(joined + a + 1, name, b + 1);
    ok = push_string(files, joined);
    free(joined);
    return ok;
}

/* The `*.txt` regular files of a directory, sorted, appended to `files`.
 * The number found, or -1 on an error (printed). */
static long list_directory(const char *directory, string_list *files)
{
    string_list names = {NULL, 0, 0};
    size_t i;
    long found = -1;
#ifdef _WIN32
    WIN32_FIND_DATAA entry;
    HANDLE search;
    char *pattern = (char *)malloc(strlen(directory) + 7);
    if (pattern == NULL) {
        out_of_memory("a directory listing");
        return -1;
    }
    sprintf(pattern, "%s\\*.txt", directory);
    search = FindFirstFileA(pattern, &entry);
    free(pattern);
    if (search != INVALID_HANDLE_VALUE) {
        do {
            if (!(entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
                has_txt_suffix(entry.cFileName) && !push_string(&names, entry.cFileName)) {
                FindClose(search);
                out_of_memory("a directory listing");
                goto done;
            }
        } while (FindNextFileA(search, &entry));
        FindClose(search);
    }
#else
    struct dirent *entry;
    DIR *stream = opendir(directory);
    if (stream == NULL) {
        printf("%s: error: cannot list the directory: %s\n", directory, strerror(errno));
        return -1;
    }
    while ((entry = readdir(stream)) != NULL) {
        if (!has_txt_suffix(entry->d_name))
            continue;
        if (!push_string(&names, entry->d_name)) {
            closedir(stream);
            out_of_memory("a directory listing");
            goto done;
        }
    }
    closedir(stream);
#endif
    if (names.count > 1)
        qsort(names.data, names.count, sizeof *names.data, compare_strings);
    found = 0;
    for (i = 0; i < names.count; i++) {
        size_t before = files->count;
        if (!push_joined(files, directory, names.data[i])) {
            out_of_memory("a directory listing");
            found = -1;
            goto done;
        }
        if (path_kind(files->data[before]) != PATH_FILE) { /* a directory named x.txt */
            free(files->data[--files->count]);
            continue;
        }
        found++;
    }
done:
    free_strings(&names);
    return found;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    string_list files = {NULL, 0, 0};
    int first = 1, skip_missing = 0, errors = 0, i;
    long cases = 0, outputs = 0, failures = 0;
    double worst = 0.0;
    size_t k;

    if (argc > 1 && strcmp(argv[1], "--skip-missing") == 0) {
        skip_missing = 1;
        first = 2;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr,
                "usage: %s [--skip-missing] DIR|FILE...\n"
                "  Checks the C library against the golden vectors (every *.txt of each DIR).\n"
                "  --skip-missing: exit %d (skipped) if a path does not exist.\n",
                argv[0], SKIP_EXIT_STATUS);
        return 2;
    }
    for (i = first; i < argc; i++) {
        int kind = path_kind(argv[i]);
        if (kind == PATH_MISSING) {
            if (skip_missing) {
                printf("test_golden: SKIPPED: %s does not exist (the conformance vectors are not "
                       "next to this csrc/ tree)\n",
                       argv[i]);
                free_strings(&files);
                return SKIP_EXIT_STATUS;
            }
            printf("%s: error: no such file or directory\n", argv[i]);
            errors++;
        } else if (kind == PATH_DIRECTORY) {
            long found = list_directory(argv[i], &files);
            if (found == 0)
                printf("%s: error: no *.txt vector file in this directory\n", argv[i]);
            if (found <= 0)
                errors++;
        } else if (!push_string(&files, argv[i])) {
            out_of_memory("the list of files");
            errors++;
        }
    }

    for (k = 0; k < files.count; k++) {
        file_stats stats;
        if (run_file(files.data[k], &stats) != 0)
            errors++;
        cases += stats.cases;
        outputs += stats.outputs;
        failures += stats.failures;
        if (stats.outputs > 0 && stats.worst > worst)
            worst = stats.worst;
    }

    printf("test_golden: %zu files, %ld cases, %ld outputs checked, worst %.3g ULP (bound %g), "
           "%ld failures, %d errors: %s\n",
           files.count, cases, outputs, worst, BOUND_ULP, failures, errors,
           failures == 0 && errors == 0 ? "OK" : "FAILED");
    free_strings(&files);
    return failures == 0 && errors == 0 ? 0 : 1;
}
