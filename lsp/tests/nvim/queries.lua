-- Headless Neovim: the repository's tree-sitter queries (grammars/queries/yaml/highlights.scm)
-- loaded from 'runtimepath' as a user installs them, run over a YAML buffer with the yaml
-- parser; writes each capture (name, 0-based row, node text) as JSON.
-- Arguments: the folder holding parser/yaml.so, the grammars folder, the YAML file, output JSON.
local parser_dir, grammars, yaml_file, out = arg[1], arg[2], arg[3], arg[4]
local result = {}
local ok, err = pcall(function()
  vim.opt.rtp:prepend(parser_dir)
  vim.opt.rtp:append(grammars)
  assert(vim.treesitter.language.add('yaml'), 'no yaml parser')
  result.files = vim.treesitter.query.get_files('yaml', 'highlights')
  vim.cmd.edit(yaml_file)
  local buf = vim.api.nvim_get_current_buf()
  -- As the editor highlights it: the highlighter on, the query it uses.
  vim.treesitter.start(buf, 'yaml')
  result.highlighter = vim.treesitter.highlighter.active[buf] ~= nil
  local query = assert(vim.treesitter.query.get('yaml', 'highlights'), 'no highlights query')
  local tree = vim.treesitter.get_parser(buf, 'yaml'):parse()[1]
  result.captures = {}
  for id, node in query:iter_captures(tree:root(), buf) do
    local row = node:range()
    table.insert(result.captures, {
      capture = query.captures[id],
      row = row,
      text = vim.treesitter.get_node_text(node, buf),
    })
  end
  -- What the highlighter reports on the first `${` of the file.
  local row, col = unpack(vim.fn.searchpos('\\V${', 'nw'))
  result.at_first = {}
  for _, c in ipairs(vim.treesitter.get_captures_at_pos(buf, row - 1, col - 1)) do
    table.insert(result.at_first, c.capture)
  end
end)
result.ok = ok
if not ok then result.error = tostring(err) end
local f = assert(io.open(out, 'w'))
f:write(vim.json.encode(result))
f:close()
vim.cmd('qa!')
