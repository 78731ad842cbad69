/* libFuzzer target for the partition-table reader/editor (lib/vn_gpt.c).
 *
 * Properties checked (abort() on violation):
 *  - a rejected input is VN_EINPUT with a message and no table;
 *  - every listed partition and problem is readable, names are NUL-terminated;
 *  - on a healthy GPT, deleting the first partition succeeds and the image
 *    reads back healthy with one partition less (both copies rewritten). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void walk(const vn_gpt *g)
{
    for (size_t i = 0; i < vn_gpt_count(g); i++) {
        const vn_gpt_part *p = vn_gpt_part_at(g, i);
        require(p && vn_gpt_find(g, p->number) != NULL);
        require(strlen(p->name) < sizeof(p->name) && strlen(p->type_str) < sizeof(p->type_str));
    }
    for (size_t i = 0; i < vn_gpt_problem_count(g); i++)
        require(vn_gpt_problem(g, i)[0] != '\0');
}

static void delete_first(vn_gpt *g, vn_blk *b)
{
    vn_error err;
    size_t before = vn_gpt_count(g);
    unsigned n = vn_gpt_part_at(g, 0)->number;
    require(vn_gpt_set_entry(g, b, n, NULL, &err) == VN_OK);
    vn_gpt *again = NULL;
    require(vn_gpt_read(b, &again, &err) == VN_OK);
    require(vn_gpt_problem_count(again) == 0 && vn_gpt_count(again) == before - 1 &&
            vn_gpt_find(again, n) == NULL);
    vn_gpt_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_blk_open_mem(data, size, 1, &b, &err) != VN_OK)
        return 0;
    vn_gpt *g = NULL;
    if (vn_gpt_read(b, &g, &err) != VN_OK) {
        require(g == NULL && err.code == VN_EINPUT && err.msg[0] != '\0');
        vn_blk_close(b);
        return 0;
    }
    walk(g);
    if (vn_gpt_kind(g) == VN_PT_GPT && vn_gpt_problem_count(g) == 0 && vn_gpt_count(g) > 0)
        delete_first(g, b);
    vn_gpt_free(g);
    vn_blk_close(b);
    return 0;
}
