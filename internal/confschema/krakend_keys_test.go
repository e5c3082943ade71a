package confschema

// The key names of KrakenD's published JSON schema, v2.13 (the newest
// version folder of the krakend-schema repository: its bundled krakend.json
// and the definitions it holds): the properties of the root object, of
// endpoint.json, backend.json and tls.json, and of the options of each
// namespace lambdagate reads, at the level KrakenD's schema puts them.
// Only the names are kept here, as facts; TestKrakenDKeysAreClassified
// checks the class lambdagate gives each one.
var krakendKeys = []schemaObject{
	{Scope: "service", Keys: []string{
		"async_agent", "cache_ttl", "client_tls", "debug_endpoint", "dialer_fallback_delay",
		"dialer_keep_alive", "dialer_timeout", "disable_compression", "disable_keep_alives",
		"disable_rest", "dns_cache_ttl", "echo_endpoint", "endpoints", "expect_continue_timeout",
		"extra_config", "host", "idle_connection_timeout", "idle_timeout", "listen_ip",
		"max_header_bytes", "max_idle_connections", "max_idle_connections_per_host",
		"max_shutdown_wait_time", "name", "output_encoding", "plugin", "port",
		"read_header_timeout", "read_timeout", "response_header_timeout", "sequential_start",
		"timeout", "tls", "use_h2c", "version", "write_timeout",
	}},
	{Scope: "endpoint", Keys: []string{
		"backend", "cache_ttl", "concurrent_calls", "endpoint", "extra_config", "input_headers",
		"input_query_strings", "method", "output_encoding", "timeout",
	}},
	{Scope: "backend", Keys: []string{
		"allow", "deny", "disable_host_sanitize", "encoding", "extra_config", "group", "host",
		"input_headers", "input_query_strings", "is_collection", "mapping", "method", "sd",
		"sd_scheme", "target", "url_pattern",
	}},
	{Scope: "tls", Keys: []string{
		"ca_certs", "cipher_suites", "curve_preferences", "disable_system_ca_pool", "disabled",
		"enable_mtls", "keys", "max_version", "min_version",
	}},
	// Service level.
	{Scope: "ns:router", Level: "service", Keys: []string{
		"app_engine", "auto_options", "decompress_gzip", "disable_access_log", "disable_gzip",
		"disable_handle_method_not_allowed", "disable_health", "disable_path_decoding",
		"disable_redirect_fixed_path", "disable_redirect_trailing_slash", "error_body",
		"forwarded_by_client_ip", "health_path", "hide_version_header", "logger_skip_paths",
		"max_multipart_memory", "max_payload", "remote_ip_headers", "remove_extra_slash",
		"return_error_msg", "trusted_proxies",
	}},
	{Scope: "ns:auth/validator", Level: "service", Keys: []string{"shared_cache_duration"}},
	{Scope: "ns:telemetry/logging", Level: "service", Keys: []string{
		"access_log_custom_format", "access_log_format", "access_log_missing_key_marker", "backend",
		"custom_format", "format", "level", "prefix", "stdout", "syslog", "syslog_facility",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Keys: []string{
		"deploy_env", "exporters", "histograms", "layers", "metric_reporting_period", "service_name",
		"service_version", "skip_paths", "trace_sample_rate",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "exporters", Keys: []string{"otlp", "prometheus"}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "exporters.otlp[]", Keys: []string{
		"custom_metric_reporting_period", "disable_metrics", "disable_traces", "host", "name", "port", "use_http",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "exporters.prometheus[]", Keys: []string{
		"custom_metric_reporting_period", "disable_metrics", "go_metrics", "listen_ip", "name", "port", "process_metrics",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers", Keys: []string{"backend", "global", "proxy"}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers.global", Keys: []string{
		"disable_metrics", "disable_propagation", "disable_traces", "metrics_static_attributes",
		"report_headers", "semantic_convention", "skip_headers", "traces_static_attributes",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers.proxy", Keys: []string{
		"disable_metrics", "disable_traces", "metrics_static_attributes", "report_headers",
		"skip_headers", "traces_static_attributes",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers.backend", Keys: []string{"metrics", "traces"}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers.backend.metrics", Keys: []string{
		"detailed_connection", "disable_stage", "read_payload", "round_trip", "static_attributes",
	}},
	{Scope: "ns:telemetry/opentelemetry", Level: "service", Place: "layers.backend.traces", Keys: []string{
		"detailed_connection", "disable_stage", "read_payload", "report_headers", "round_trip",
		"skip_headers", "static_attributes",
	}},
	{Scope: "ns:security/cors", Level: "service", Keys: []string{
		"allow_credentials", "allow_headers", "allow_methods", "allow_origins", "debug",
		"expose_headers", "max_age",
	}},
	{Scope: "ns:security/http", Level: "service", Keys: securityHTTPKeys},
	{Scope: "ns:security/bot-detector", Level: "service", Keys: botDetectorKeys},
	{Scope: "ns:qos/ratelimit/service", Level: "service", Keys: routerRateLimitKeys},
	{Scope: "ns:qos/ratelimit/service/redis", Level: "service", Keys: redisRateLimitKeys},
	{Scope: "ns:redis", Level: "service", Keys: []string{"clusters", "connection_pools"}},
	{Scope: "ns:redis", Level: "service", Place: "connection_pools[]", Keys: []string{
		"address", "client_name", "conn_max_idle_time", "conn_max_life_time", "db", "dial_timeout",
		"max_active_conns", "max_idle_conns", "max_retries", "max_retry_backoff", "min_idle_conns",
		"min_retry_backoff", "name", "opentelemetry", "password", "pool_size", "pool_timeout", "tls",
		"user_name",
	}},
	// Endpoint level.
	{Scope: "ns:auth/validator", Level: "endpoint", Keys: []string{
		"alg", "audience", "auth_header_name", "cache", "cache_duration", "cipher_suites",
		"cookie_key", "cypher_key", "disable_jwk_security", "failed_jwk_key_cooldown", "issuer",
		"jwk_fingerprints", "jwk_local_ca", "jwk_local_path", "jwk_url", "key_identify_strategy",
		"leeway", "operation_debug", "propagate_claims", "propagate_claims_preserve_array", "roles",
		"roles_key", "roles_key_is_nested", "scopes", "scopes_key", "scopes_matcher", "secret_url",
	}},
	{Scope: "ns:proxy", Level: "endpoint", Keys: []string{
		"combiner", "decompress_gzip", "flatmap_filter", "max_payload", "sequential",
		"sequential_propagated_params", "static",
	}},
	{Scope: "ns:proxy", Level: "endpoint", Place: "static", Keys: []string{"data", "strategy"}},
	{Scope: "ns:qos/ratelimit/router", Level: "endpoint", Keys: routerRateLimitKeys},
	{Scope: "ns:qos/ratelimit/router/redis", Level: "endpoint", Keys: redisRateLimitKeys},
	{Scope: "ns:security/bot-detector", Level: "endpoint", Keys: botDetectorKeys},
	{Scope: "ns:modifier/lua-endpoint", Level: "endpoint", Keys: luaKeys},
	{Scope: "ns:modifier/lua-proxy", Level: "endpoint", Keys: luaKeys},
	{Scope: "ns:validation/cel", Level: "endpoint", Keys: []string{"check_expr"}},
	{Scope: "ns:validation/json-schema", Level: "endpoint"},
	// Backend level.
	{Scope: "ns:backend/http", Level: "backend", Keys: []string{"return_error_code", "return_error_details"}},
	{Scope: "ns:backend/lambda", Level: "backend", Keys: []string{
		"endpoint", "function_name", "function_param_name", "max_retries", "region",
	}},
	{Scope: "ns:proxy", Level: "backend", Keys: []string{"flatmap_filter", "shadow"}},
	{Scope: "ns:qos/circuit-breaker", Level: "backend", Keys: []string{
		"interval", "log_status_change", "max_errors", "name", "timeout",
	}},
	{Scope: "ns:qos/http-cache", Level: "backend", Keys: []string{"max_items", "max_size", "shared"}},
	{Scope: "ns:qos/ratelimit/proxy", Level: "backend", Keys: []string{"capacity", "every", "max_rate"}},
	{Scope: "ns:modifier/lua-backend", Level: "backend", Keys: luaKeys},
	{Scope: "ns:validation/cel", Level: "backend", Keys: []string{"check_expr"}},
	{Scope: "ns:modifier/martian", Level: "backend"},
}

var (
	securityHTTPKeys = []string{
		"allowed_hosts", "allowed_hosts_are_regex", "browser_xss_filter", "content_security_policy",
		"content_type_nosniff", "custom_frame_options_value", "force_sts_header", "frame_deny",
		"host_proxy_headers", "hpkp_public_key", "is_development", "referrer_policy", "ssl_host",
		"ssl_proxy_headers", "ssl_redirect", "sts_include_subdomains", "sts_seconds",
	}
	botDetectorKeys     = []string{"allow", "cache_size", "deny", "empty_user_agent_is_bot", "patterns"}
	routerRateLimitKeys = []string{
		"capacity", "cleanup_period", "cleanup_threads", "client_capacity", "client_max_rate",
		"every", "key", "max_rate", "num_shards", "strategy",
	}
	redisRateLimitKeys = []string{
		"capacity", "client_capacity", "client_max_rate", "connection_name", "connection_pool",
		"every", "key", "max_rate", "on_failure_allow", "strategy",
	}
	luaKeys = []string{"allow_open_libs", "live", "md5", "post", "pre", "skip_next", "sources"}
)

// schemaObject is one object of KrakenD's schema: an object of the file
// ("service", "endpoint", "backend", "tls") or a namespace ("ns:router") at
// a level, with its key names; no Keys for a free-form namespace.
type schemaObject struct {
	Scope, Level string
	// Place, for an object inside a namespace, is where ("layers.global",
	// "[]" for the elements of an array).
	Place string
	Keys  []string
}
