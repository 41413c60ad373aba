-- Headless Neovim with the real gitops-lsp: the server's semantic tokens as Neovim decodes them
-- (type, modifiers, byte columns), named by the highlight groups Neovim gives them
-- (`@lsp.type.*`, `@lsp.mod.*`, `@lsp.typemod.*`).
-- Arguments: repo (on runtimepath), server binary, file to open, probes (JSON list of strings:
-- a line's text with `|` where to look), output JSON.
local repo, bin, file, probes, out = arg[1], arg[2], arg[3], vim.json.decode(arg[4]), arg[5]
local result = { probes = {} }
local ok, err = pcall(function()
  vim.opt.rtp:prepend(repo)
  vim.cmd('filetype on')
  vim.lsp.config('gitops_lsp', { cmd = { bin } })
  vim.lsp.enable('gitops_lsp')
  vim.cmd.edit(file)
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.wait(15000, function() return #vim.lsp.get_clients({ bufnr = buf }) > 0 end), 'no client attached')
  local client = vim.lsp.get_clients({ bufnr = buf })[1]
  result.legend = client.server_capabilities.semanticTokensProvider.legend

  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function locate(probe)
    local at = probe:find('|', 1, true)
    local needle = probe:sub(1, at - 1) .. probe:sub(at + 1)
    for row, l in ipairs(lines) do
      local s = l:find(needle, 1, true)
      if s then return row - 1, s - 1 + at - 1 end
    end
    error('probe not found: ' .. probe)
  end
  -- The tokens Neovim holds at a position (headless Neovim draws nothing, so no extmarks: the
  -- highlighter's decoded tokens), with the highlight groups it gives them.
  local function groups(row, col)
    local out = {}
    for _, t in ipairs(vim.lsp.semantic_tokens.get_at_pos(buf, row, col) or {}) do
      local names = { '@lsp.type.' .. t.type .. '.yaml' }
      for m in pairs(t.modifiers) do
        table.insert(names, '@lsp.mod.' .. m .. '.yaml')
        table.insert(names, '@lsp.typemod.' .. t.type .. '.' .. m .. '.yaml')
      end
      for _, n in ipairs(names) do
        table.insert(out, { group = n, col = t.start_col, end_col = t.end_col })
      end
    end
    return out
  end
  -- Tokens asked for while the server indexes know no cluster yet; the server asks Neovim to
  -- ask again once indexing is done (workspace/semanticTokens/refresh): wait for that.
  local first_row, first_col = locate(probes[1])
  assert(vim.wait(20000, function()
    for _, g in ipairs(groups(first_row, first_col)) do
      if g.group == '@lsp.mod.undefined.yaml' then return true end
    end
    return false
  end, 100), 'no undefined token: ' .. vim.inspect(groups(first_row, first_col)))
  for _, p in ipairs(probes) do
    local row, col = locate(p)
    table.insert(result.probes, { probe = p, row = row, col = col, tokens = groups(row, col) })
  end
end)
result.ok = ok
if not ok then result.error = tostring(err) end
local f = assert(io.open(out, 'w'))
f:write(vim.json.encode(result))
f:close()
vim.cmd('qa!')
