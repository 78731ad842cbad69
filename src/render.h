/* Rendering of profile findings, shared by every `check`/`fix` command of
 * every surface: a human table on a terminal or in a pipe, or JSON. */
#ifndef VN_RENDER_H
#define VN_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "vn_profile.h"

/* The findings as a JSON array. */
json_t *render_findings_json(const vn_findings *f);

/* {"errors": N, "warnings": N, "info": N, "fixable": N} */
json_t *render_summary_json(const vn_findings *f);

/* A table (SEVERITY RULE KEY CURRENT WANTED) plus notes, to `out`. With
 * `fixed`, the header reads as changes made. */
void render_findings_text(const vn_findings *f, int verbose, FILE *out);

/* "3 findings: 2 errors, 1 warning (2 fixable)". */
void render_summary_text(const vn_findings *f, FILE *out);

/* The exit status a check gives: 1 when any error or warning, else 0. */
int render_check_status(const vn_findings *f);

#endif
