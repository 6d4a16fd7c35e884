; Folds (Neovim: foldexpr=v:lua.vim.treesitter.foldexpr()).
[
  (settings)
  (service_block)
  (target_block)
  (step_block)
  (request_block)
  (retry_block)
  (rule_block)
  (stage_block)
  (test_block)
  (chaos_block)
  (slo_block)
  (object)
  (list)
  (triple_string)
] @fold
