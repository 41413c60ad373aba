// The YAML grammar of tree-sitter-yaml 0.7, with two limits of its external scanner
// (scanner.c, compiled by that crate) made safe. Nothing here changes how YAML is read below
// those limits. Owner: lsp/src/yaml/syntax.rs, which explains both limits and tests them.
//
// 1. The scanner keeps one 4-byte entry per open block collection or block scalar (its
//    indentation stack) and serializes it after every token into tree-sitter's 1024-byte
//    buffer: 10 bytes of header, then the entries. At 254 entries it writes 1026 bytes and
//    tree-sitter's runtime aborts the process (`assert(length <= 1024)` in
//    ts_parser__external_scanner_serialize). `guarded_scan` refuses the token that would
//    open the 254th level: the scanner's state then never outgrows the buffer, the parser
//    reports a syntax error there (and recovers, as for any other error), and the token's
//    start is recorded for the diagnostic (`gitops_yaml_take_refusal`).
// 2. The scanner counts rows in int16 fields, compared with `>`: past 32,767 lines they wrap
//    and a newline is no longer seen, so a valid file fails at line 32,768. The scanner only
//    ever compares rows with each other, and tree-sitter restores the serialized state
//    before every scan, so `guarded_serialize` stores them relative to the last token's row
//    (which becomes 0): every scan then starts counting from 0.
#include <stdint.h>
#include <string.h>

#include "lexer.h"  // tree-sitter's runtime: TSLanguage, TSLexer inside the runtime's Lexer

const TSLanguage *tree_sitter_yaml(void);
bool tree_sitter_yaml_external_scanner_scan(void *payload, TSLexer *lexer, const bool *valid);
unsigned tree_sitter_yaml_external_scanner_serialize(void *payload, char *buffer);
void tree_sitter_yaml_external_scanner_deserialize(void *payload, const char *buffer, unsigned length);

// The scanner's serialize writes at most 1026 bytes (its loop tests `size < 1024` before
// writing a 4-byte entry); room for more, in case.
#define STATE_ROOM (TREE_SITTER_SERIALIZATION_BUFFER_SIZE + 64)
#define HEADER 10
#define ENTRY 4

static _Thread_local uint32_t refused_count;
static _Thread_local uint32_t refused_at;
// The length of the state tree-sitter restored before this scan (it restores one before
// every scan).
static _Thread_local unsigned restored_length;

static void guarded_deserialize(void *payload, const char *buffer, unsigned length) {
    restored_length = length;
    tree_sitter_yaml_external_scanner_deserialize(payload, buffer, length);
}

static bool guarded_scan(void *payload, TSLexer *lexer, const bool *valid) {
    if (!tree_sitter_yaml_external_scanner_scan(payload, lexer, valid)) {
        return false;
    }
    // A token opens one level at most (one entry), so only a state that already holds 253
    // can outgrow the buffer: the others need no check.
    if (restored_length + ENTRY <= TREE_SITTER_SERIALIZATION_BUFFER_SIZE) {
        return true;
    }
    char state[STATE_ROOM];
    if (tree_sitter_yaml_external_scanner_serialize(payload, state) <= TREE_SITTER_SERIALIZATION_BUFFER_SIZE) {
        return true;
    }
    // Refused: tree-sitter resets the lexer, lexes with its own rules and restores the
    // scanner's state from the previous token before the next scan.
    if (refused_count++ == 0) {
        refused_at = ((const Lexer *)lexer)->token_start_position.bytes;
    }
    return false;
}

static unsigned guarded_serialize(void *payload, char *buffer) {
    char state[STATE_ROOM];
    unsigned length = tree_sitter_yaml_external_scanner_serialize(payload, state);
    if (length > TREE_SITTER_SERIALIZATION_BUFFER_SIZE) {
        // Not reached (guarded_scan refuses such tokens); whole entries that fit, in case.
        length = TREE_SITTER_SERIALIZATION_BUFFER_SIZE - (TREE_SITTER_SERIALIZATION_BUFFER_SIZE - HEADER) % ENTRY;
    }
    if (length >= HEADER) {
        // Header: row, col, blk_imp_row, blk_imp_col, blk_imp_tab (int16 each). The implicit
        // key's row is only compared for equality with the row of a later token, so any
        // earlier row can be -1 (the scanner's own "none").
        int16_t row, imp_row;
        memcpy(&row, state, 2);
        memcpy(&imp_row, state + 4, 2);
        int32_t rel = (int32_t)imp_row - (int32_t)row;
        int16_t zero = 0, imp = (int16_t)(rel < -1 ? -1 : rel);
        memcpy(state, &zero, 2);
        memcpy(state + 4, &imp, 2);
    }
    memcpy(buffer, state, length);
    return length;
}

// The grammar with the guarded scanner: a copy of tree-sitter-yaml's language (static
// tables shared), built once. Only `scan`, `serialize` and `deserialize` differ.
// Called once, under a Rust `OnceLock` (syntax.rs, `language`).
static TSLanguage guarded;

const TSLanguage *gitops_yaml_language(void) {
    guarded = *tree_sitter_yaml();
    guarded.external_scanner.scan = guarded_scan;
    guarded.external_scanner.serialize = guarded_serialize;
    guarded.external_scanner.deserialize = guarded_deserialize;
    return &guarded;
}

// How many tokens this thread's parses refused since the last call, and where the first one
// started (a byte offset in the parsed text); resets both.
uint32_t gitops_yaml_take_refusal(uint32_t *first_at) {
    uint32_t n = refused_count;
    *first_at = refused_at;
    refused_count = 0;
    refused_at = 0;
    return n;
}
