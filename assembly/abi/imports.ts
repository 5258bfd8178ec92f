// Host functions of proxy-wasm ABI 0.2.1 that kscope uses (module "env").
// Spec: proxy-wasm/spec abi-versions/v0.2.1. Only what kscope's network and HTTP filters need.

@external("env", "proxy_log")
export declare function proxy_log(level: u32, ptr: usize, len: usize): u32;
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(buffer: u32, start: usize, max: usize, out_ptr: usize, out_len: usize): u32;
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: u32, name_ptr: usize, name_len: usize, out_id: usize): u32;
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, offset: i64): u32;
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): u32;
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(out: usize): u32;
@external("env", "proxy_get_property")
export declare function proxy_get_property(path_ptr: usize, path_len: usize, out_ptr: usize, out_len: usize): u32;
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(ms: u32): u32;
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key_ptr: usize, key_len: usize, out_ptr: usize, out_len: usize, out_cas: usize): u32;
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key_ptr: usize, key_len: usize, value_ptr: usize, value_len: usize, cas: u32): u32;
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name_ptr: usize, name_len: usize, out_id: usize): u32;
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(id: u32, ptr: usize, len: usize): u32;
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer: u32, start: usize, size: usize, ptr: usize, len: usize): u32;
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: u32, key_ptr: usize, key_len: usize, out_ptr: usize, out_len: usize): u32;
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map: u32, key_ptr: usize, key_len: usize, val_ptr: usize, val_len: usize): u32;
