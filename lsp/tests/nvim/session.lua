-- Headless Neovim session against the real gitops-lsp (driven by lsp/tests/neovim.rs).
-- Arguments: repo (on runtimepath), server binary, home-ops copy, defect copy, output JSON.
local repo, bin, home, defect, out = arg[1], arg[2], arg[3], arg[4], arg[5]
local result = {}
local function done(ok, err)
  result.ok = ok
  result.error = err
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.opt.rtp:prepend(repo)
  vim.cmd('filetype on')
  -- The repository's own lsp/gitops_lsp.lua, with the binary under test.
  vim.lsp.config('gitops_lsp', { cmd = { bin } })
  vim.lsp.enable('gitops_lsp')

  vim.cmd.edit(home .. '/kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml')
  assert(vim.wait(15000, function() return #vim.lsp.get_clients({ bufnr = 0 }) > 0 end), 'no client attached')
  local client = vim.lsp.get_clients({ bufnr = 0 })[1]
  result.root = client.root_dir

  -- Hover on ${CLUSTER_ID}.
  local line = vim.fn.search('id: ${CLUSTER_ID}') - 1
  local col = vim.fn.getline(line + 1):find('CLUSTER_ID', 1, true)
  local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = line, character = col } }
  local hover
  assert(vim.wait(15000, function()
    local r = client:request_sync('textDocument/hover', params, 5000, 0)
    if r and r.result and r.result.contents then hover = r.result.contents.value end
    -- Requests during indexing are answered from what is known: wait for the full answer.
    return hover ~= nil and hover:find('infra', 1, true) ~= nil
  end, 200), 'no hover')
  result.hover = hover

  -- Definition of ${CLUSTER}: one location per cluster.
  line = vim.fn.search('name: ${CLUSTER}') - 1
  col = vim.fn.getline(line + 1):find('CLUSTER', 1, true)
  params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = line, character = col } }
  local r = client:request_sync('textDocument/definition', params, 5000, 0)
  result.definitions = {}
  for _, loc in ipairs(r.result or {}) do
    table.insert(result.definitions, { file = vim.uri_to_fname(loc.uri), line = loc.range.start.line })
  end

  -- A defect fixture: its diagnostics reach vim.diagnostic.get().
  vim.cmd.edit(defect .. '/kubernetes/clusters/dev/apps.yaml')
  local bufnr = vim.api.nvim_get_current_buf()
  assert(vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 100), 'no diagnostics')
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, { code = d.code, lnum = d.lnum, message = d.message, severity = d.severity })
  end
end)
done(ok, ok and nil or tostring(err))
