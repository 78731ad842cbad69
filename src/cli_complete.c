/* `vnest __complete WORD...`: bash completion from the command records.
 * The words are those after "vnest" on the command line, the last being
 * the one under the cursor (possibly empty). Prints one candidate a line;
 * the single line "__files__" asks the shell for file name completion. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_complete(int argc, char **argv);

static void offer(const char *word, const char *prefix)
{
    if (strncmp(word, prefix, strlen(prefix)) == 0)
        printf("%s\n", word);
}

/* Offers the next word of every command whose earlier words match. */
static void complete_command_words(int nwords, char **words, const char *cur)
{
    /* A noun repeats across its verbs, and its verbs need not be listed
     * next to each other: each word is offered once. */
    char offered[64][64];
    int noffered = 0;
    for (int i = 0; cli_commands[i]; i++) {
        const char *w = cli_commands[i]->words;
        int k = 0;
        for (; k < nwords; k++) {
            size_t len = strcspn(w, " ");
            if (strlen(words[k]) != len || strncmp(words[k], w, len) != 0)
                break;
            w += len + (w[len] == ' ');
        }
        if (k < nwords || !*w)
            continue;
        char next[64];
        snprintf(next, sizeof(next), "%.*s", (int)strcspn(w, " "), w);
        int seen = 0;
        for (int j = 0; j < noffered && !seen; j++)
            seen = strcmp(offered[j], next) == 0;
        if (seen)
            continue;
        offer(next, cur);
        if (noffered < 64)
            snprintf(offered[noffered++], sizeof(offered[0]), "%s", next);
    }
}

static int word_count(const char *words)
{
    int n = 1;
    for (; *words; words++)
        n += *words == ' ';
    return n;
}

static int matches(const cli_cmd *cmd, int argc, char **argv)
{
    int n = word_count(cmd->words);
    if (argc < n)
        return 0;
    const char *w = cmd->words;
    for (int k = 0; k < n; k++) {
        size_t len = strcspn(w, " ");
        if (strlen(argv[k]) != len || strncmp(argv[k], w, len) != 0)
            return 0;
        w += len + (w[len] == ' ');
    }
    return n;
}

static void offer_words(const char *list, const char *cur)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        offer(t, cur);
}

int cli_complete(int argc, char **argv)
{
    if (argc == 0)
        return 0;
    const char *cur = argv[argc - 1];
    /* Skip leading global options. */
    while (argc > 1 && argv[0][0] == '-') {
        argv++;
        argc--;
    }
    for (int i = 0; cli_commands[i]; i++) {
        const cli_cmd *cmd = cli_commands[i];
        int n = matches(cmd, argc - 1, argv);
        if (!n)
            continue;
        const char *prev = argc >= 2 ? argv[argc - 2] : "";
        for (int o = 0; cmd->opts && cmd->opts[o].name; o++) {
            if (prev[0] == '-' && prev[1] == '-' && strcmp(prev + 2, cmd->opts[o].name) == 0 &&
                cmd->opts[o].arg) {
                if (cmd->opts[o].words)
                    offer_words(cmd->opts[o].words, cur);
                else
                    puts("__files__");
                return 0;
            }
        }
        if (cur[0] == '-') {
            char opt[80];
            for (int o = 0; cmd->opts && cmd->opts[o].name; o++) {
                snprintf(opt, sizeof(opt), "--%s", cmd->opts[o].name);
                offer(opt, cur);
            }
            offer_words("--json --quiet --verbose --help", cur);
        } else {
            puts("__files__");
        }
        return 0;
    }
    complete_command_words(argc - 1, argv, cur);
    return 0;
}
