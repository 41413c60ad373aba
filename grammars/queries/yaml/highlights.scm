; extends
;
; gitops-lsp: Flux postBuild substitution in YAML scalars, for Neovim's tree-sitter-yaml.
; Same meaning as grammars/flux-substitution.tmLanguage.json: `${VAR}`, `${VAR:=default}`,
; `${VAR:-default}` are substituted by Flux; `$${VAR}` is an escape (written out as `${VAR}`).
;
; Tree-sitter captures whole nodes, not parts of a scalar, so a scalar that holds a
; substitution is highlighted as a whole (`@string.special`), and one that only holds an
; escape as `@string.escape`. The exact `${...}` ranges come from the server's semantic tokens
; where the client supports them. `; extends` keeps nvim-treesitter's own YAML highlights.
; Tested by lsp/tests/it/semantic_nvim.rs (headless Neovim, tree-sitter-yaml).

; A substitution: `${` that is not part of a `$${` escape (plain scalars may start with it).
((string_scalar) @string.special
  (#lua-match? @string.special "[^$]%${"))
((string_scalar) @string.special
  (#lua-match? @string.special "^%${"))

((double_quote_scalar) @string.special
  (#lua-match? @string.special "[^$]%${"))

((single_quote_scalar) @string.special
  (#lua-match? @string.special "[^$]%${"))

((block_scalar) @string.special
  (#lua-match? @string.special "[^$]%${"))

; Only escapes: `$${VAR}` and no substitution.
((string_scalar) @string.escape
  (#lua-match? @string.escape "%$%${")
  (#not-lua-match? @string.escape "[^$]%${[%w_]")
  (#not-lua-match? @string.escape "^%${"))

((double_quote_scalar) @string.escape
  (#lua-match? @string.escape "%$%${")
  (#not-lua-match? @string.escape "[^$]%${[%w_]"))

((single_quote_scalar) @string.escape
  (#lua-match? @string.escape "%$%${")
  (#not-lua-match? @string.escape "[^$]%${[%w_]"))

((block_scalar) @string.escape
  (#lua-match? @string.escape "%$%${")
  (#not-lua-match? @string.escape "[^$]%${[%w_]"))
