---@brief
---
--- gitops-lsp: a language server for Kubernetes repositories run by Flux and Kustomize
--- (per-cluster `${VAR}` values, dependsOn/path navigation, live checks).
---
--- Install the binary: `cargo install --path lsp` from a clone (it lands in ~/.cargo/bin).
---
--- Neovim 0.11+: with this repository on 'runtimepath' (as a plugin), or this file copied to
--- `~/.config/nvim/lsp/gitops_lsp.lua`:
--- ```lua
--- vim.lsp.enable('gitops_lsp')
--- ```
--- Settings (sent with workspace/didChangeConfiguration):
--- - `cluster`: the cluster whose values inlay hints show (all clusters when unset);
--- - `inlayHints`: false to turn inlay hints off;
--- - `logLevel`: error, warn, info, debug (the server logs to stderr: `:LspLog`).
---@type vim.lsp.Config
return {
  cmd = { 'gitops-lsp' },
  filetypes = { 'yaml' },
  root_markers = { '.gitops-lsp.toml', '.git' },
  settings = {
    ['gitops-lsp'] = {
      inlayHints = true,
    },
  },
}
