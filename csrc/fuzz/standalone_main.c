/*
 * standalone_main.c -- a driver for the harnesses where there is no
 * libFuzzer (GCC, or Clang without its fuzzer runtime): runs every file
 * given (a directory: every file in it) through LLVMFuzzerTestOneInput,
 * then, with -runs=N, N more inputs made from them by a deterministic PRNG
 * (-seed=S): random bytes, and corpus files with bytes flipped, replaced,
 * inserted, removed or cut short.  No coverage guidance: it replays a
 * corpus and explores around it, under whatever sanitizers the build has.
 * A violated invariant aborts (exit status from SIGABRT); otherwise it
 * prints "standalone: N inputs, OK" and exits 0.
 *
 *   replay_softmax [-runs=N] [-seed=S] [-max_len=L] FILE_OR_DIRECTORY...
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

typedef struct {
    unsigned char *data;
    size_t size;
} unit;

static unit *units = NULL;
static size_t unit_count = 0, unit_capacity = 0;

static void *checked_realloc(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    if (q == NULL) {
        fprintf(stderr, "standalone: out of memory\n");
        exit(2);
    }
    return q;
}

static void add_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unit u;
    long length;
    if (f == NULL) {
        fprintf(stderr, "standalone: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    length = ftell(f);
    fseek(f, 0, SEEK_SET);
    u.size = length > 0 ? (size_t)length : 0;
    u.data = (unsigned char *)checked_realloc(NULL, u.size);
    if (u.size > 0 && fread(u.data, 1, u.size, f) != u.size) {
        fprintf(stderr, "standalone: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    if (unit_count == unit_capacity) {
        unit_capacity = unit_capacity ? 2 * unit_capacity : 64;
        units = (unit *)checked_realloc(units, unit_capacity * sizeof *units);
    }
    units[unit_count++] = u;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path)
{
    struct stat info;
    DIR *directory;
    struct dirent *entry;
    char **names = NULL;
    size_t count = 0, i;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "standalone: no such file or directory: %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(info.st_mode)) {
        add_file(path);
        return;
    }
    directory = opendir(path);
    if (directory == NULL) {
        fprintf(stderr, "standalone: cannot read directory %s\n", path);
        exit(2);
    }
    while ((entry = readdir(directory)) != NULL) {
        size_t length;
        if (entry->d_name[0] == '.')
            continue;
        length = strlen(path) + strlen(entry->d_name) + 2;
        names = (char **)checked_realloc(names, (count + 1) * sizeof *names);
        names[count] = (char *)checked_realloc(NULL, length);
        snprintf(names[count], length, "%s/%s", path, entry->d_name);
        count++;
    }
    closedir(directory);
    /* In name order, so that a run is the same on every file system. */
    qsort(names, count, sizeof *names, compare_names);
    for (i = 0; i < count; i++) {
        struct stat file_info;
        if (stat(names[i], &file_info) == 0 && S_ISREG(file_info.st_mode))
            add_file(names[i]);
        free(names[i]);
    }
    free(names);
}

static uint64_t state = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    uint64_t x = state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* A new input in *buffer (capacity max_len): random, or a mutated unit. */
static size_t make_input(unsigned char *buffer, size_t max_len)
{
    size_t size, i, edits;
    if (unit_count == 0 || next_random() % 4 == 0) {
        size = (size_t)(next_random() % (max_len + 1));
        for (i = 0; i < size; i++)
            buffer[i] = (unsigned char)(next_random() >> 56);
        return size;
    }
    {
        const unit *u = &units[next_random() % unit_count];
        size = u->size < max_len ? u->size : max_len;
        memcpy(buffer, u->data, size);
    }
    edits = 1 + (size_t)(next_random() % 4);
    for (; edits > 0; edits--) {
        size_t at = size ? (size_t)(next_random() % size) : 0;
        switch (next_random() % 6) {
        case 0: /* flip a bit */
            if (size)
                buffer[at] ^= (unsigned char)(1u << (next_random() % 8));
            break;
        case 1: /* replace a byte */
            if (size)
                buffer[at] = (unsigned char)(next_random() >> 56);
            break;
        case 2: /* insert a byte */
            if (size < max_len) {
                memmove(buffer + at + 1, buffer + at, size - at);
                buffer[at] = (unsigned char)(next_random() >> 56);
                size++;
            }
            break;
        case 3: /* remove a byte */
            if (size) {
                memmove(buffer + at, buffer + at + 1, size - at - 1);
                size--;
            }
            break;
        case 4: /* cut short */
            size = at;
            break;
        default: /* an interesting byte */
        {
            static const unsigned char interesting[8] = {0x00, 0x01, 0x7f, 0x80,
                                                         0xff, 0xfe, 0x7f, 0xc0};
            if (size)
                buffer[at] = interesting[next_random() % 8];
            break;
        }
        }
    }
    return size;
}

int main(int argc, char **argv)
{
    unsigned long runs = 0;
    size_t max_len = 256, i;
    unsigned long k;
    unsigned char *buffer;
    int a;
    LLVMFuzzerInitialize(&argc, &argv);
    for (a = 1; a < argc; a++) {
        if (strncmp(argv[a], "-runs=", 6) == 0)
            runs = strtoul(argv[a] + 6, NULL, 10);
        else if (strncmp(argv[a], "-seed=", 6) == 0)
            state = strtoull(argv[a] + 6, NULL, 10) * 0x9e3779b97f4a7c15u + 1;
        else if (strncmp(argv[a], "-max_len=", 9) == 0)
            max_len = (size_t)strtoul(argv[a] + 9, NULL, 10);
        else
            add_path(argv[a]);
    }
    for (i = 0; i < unit_count; i++)
        LLVMFuzzerTestOneInput(units[i].data, units[i].size);
    buffer = (unsigned char *)checked_realloc(NULL, max_len + 1);
    for (k = 0; k < runs; k++) {
        size_t size = make_input(buffer, max_len);
        LLVMFuzzerTestOneInput(buffer, size);
    }
    printf("standalone: %lu inputs (%lu files, %lu made), OK\n",
           (unsigned long)unit_count + runs, (unsigned long)unit_count, runs);
    free(buffer);
    for (i = 0; i < unit_count; i++)
        free(units[i].data);
    free(units);
    return 0;
}
