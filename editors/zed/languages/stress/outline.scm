; The outline panel and symbol search: declarations, steps and tests.
(let_declaration "let" @context name: (name) @name) @item
(data_declaration "data" @context name: (name) @name) @item
(target_declaration "target" @context name: (name) @name) @item
(service_declaration "service" @context name: (name) @name) @item
(proxy_declaration "proxy" @context name: (name) @name) @item
(workload_declaration "workload" @context name: (name) @name) @item
(scenario_declaration "scenario" @context name: (name) @name) @item
(profile_declaration "profile" @context name: (name) @name) @item
(test_declaration "test" @context name: (_) @name) @item
(request_step "request" @context name: (name) @name) @item
(poll_step "poll" @context name: (name) @name) @item
