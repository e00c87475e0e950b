//! A fake NVML (`libnvidia-ml.so`) for tests: it exports the C functions `runner`'s sampler calls
//! through nvml-wrapper and answers them with values scripted by environment variables.
//!
//! - `FAKE_NVML_FAIL_INIT=1`: `nvmlInit_v2` returns `NVML_ERROR_DRIVER_NOT_LOADED`.
//! - `FAKE_NVML_SCRIPT="count=1,util=73,mem_util=41,mem_used_mib=12345,mem_total_mib=81920,temp=66,power_w=250,sm_mhz=1410,procs=2,proc_mem_mib=3000"`:
//!   any subset; every device reports the same values (`procs` compute processes holding
//!   `proc_mem_mib` each). Defaults: one device, all zero but total memory.
//!
//! Features `clocks` (`nvmlDeviceGetClockInfo`) and `processes`
//! (`nvmlDeviceGetComputeRunningProcesses_v3`) are on by default; without them the symbols are
//! simply not exported, as with a driver that lacks them.
//!
//! Device handles are the device index plus one, cast to a pointer: NVML treats them as opaque.

#![allow(non_snake_case, clippy::missing_safety_doc)]

use std::ffi::{c_char, c_uint, c_ulonglong, c_void};

type Ret = c_uint;
const SUCCESS: Ret = 0;
const INVALID_ARGUMENT: Ret = 2;
#[cfg_attr(not(feature = "clocks"), allow(dead_code))]
const NOT_SUPPORTED: Ret = 3;
const DRIVER_NOT_LOADED: Ret = 9;
const INSUFFICIENT_SIZE: Ret = 7;
const MIB: u64 = 1024 * 1024;

/// The scripted readings, read from the environment on every call (cheap, and tests may change it).
struct Script {
    count: u32,
    util: u32,
    mem_util: u32,
    mem_used_mib: u64,
    mem_total_mib: u64,
    temp: u32,
    power_w: u32,
    sm_mhz: u32,
    procs: u32,
    proc_mem_mib: u64,
}

fn script() -> Script {
    let mut s = Script {
        count: 1,
        util: 0,
        mem_util: 0,
        mem_used_mib: 0,
        mem_total_mib: 81920,
        temp: 0,
        power_w: 0,
        sm_mhz: 0,
        procs: 0,
        proc_mem_mib: 0,
    };
    let text = std::env::var("FAKE_NVML_SCRIPT").unwrap_or_default();
    for item in text.split(',').filter(|i| !i.trim().is_empty()) {
        let Some((key, value)) = item.split_once('=') else { continue };
        let Ok(v) = value.trim().parse::<u64>() else { continue };
        let small = u32::try_from(v).unwrap_or(u32::MAX);
        match key.trim() {
            "count" => s.count = small,
            "util" => s.util = small,
            "mem_util" => s.mem_util = small,
            "mem_used_mib" => s.mem_used_mib = v,
            "mem_total_mib" => s.mem_total_mib = v,
            "temp" => s.temp = small,
            "power_w" => s.power_w = small,
            "sm_mhz" => s.sm_mhz = small,
            "procs" => s.procs = small,
            "proc_mem_mib" => s.proc_mem_mib = v,
            _ => {}
        }
    }
    s
}

fn valid(device: *mut c_void) -> bool {
    let index = device as usize;
    index >= 1 && index <= script().count as usize
}

#[unsafe(no_mangle)]
pub extern "C" fn nvmlInit_v2() -> Ret {
    if std::env::var("FAKE_NVML_FAIL_INIT").is_ok_and(|v| v == "1") { DRIVER_NOT_LOADED } else { SUCCESS }
}

#[unsafe(no_mangle)]
pub extern "C" fn nvmlInitWithFlags(_flags: c_uint) -> Ret {
    nvmlInit_v2()
}

#[unsafe(no_mangle)]
pub extern "C" fn nvmlShutdown() -> Ret {
    SUCCESS
}

#[unsafe(no_mangle)]
pub extern "C" fn nvmlErrorString(_result: Ret) -> *const c_char {
    c"fake NVML error".as_ptr()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlSystemGetDriverVersion(version: *mut c_char, length: c_uint) -> Ret {
    unsafe { write_str(b"999.99", version, length) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetCount_v2(count: *mut c_uint) -> Ret {
    if count.is_null() {
        return INVALID_ARGUMENT;
    }
    unsafe { *count = script().count };
    SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetHandleByIndex_v2(index: c_uint, device: *mut *mut c_void) -> Ret {
    if device.is_null() || index >= script().count {
        return INVALID_ARGUMENT;
    }
    unsafe { *device = (index as usize + 1) as *mut c_void };
    SUCCESS
}

unsafe fn write_str(text: &[u8], out: *mut c_char, length: c_uint) -> Ret {
    if out.is_null() {
        return INVALID_ARGUMENT;
    }
    if text.len() + 1 > length as usize {
        return INSUFFICIENT_SIZE;
    }
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), out, text.len());
        *out.add(text.len()) = 0;
    }
    SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetName(device: *mut c_void, name: *mut c_char, length: c_uint) -> Ret {
    if !valid(device) {
        return INVALID_ARGUMENT;
    }
    unsafe { write_str(b"Fake NVIDIA GPU", name, length) }
}

/// `nvmlUtilization_t`.
#[repr(C)]
pub struct Utilization {
    gpu: c_uint,
    memory: c_uint,
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetUtilizationRates(device: *mut c_void, out: *mut Utilization) -> Ret {
    if !valid(device) || out.is_null() {
        return INVALID_ARGUMENT;
    }
    let s = script();
    unsafe { *out = Utilization { gpu: s.util, memory: s.mem_util } };
    SUCCESS
}

/// `nvmlMemory_v2_t`.
#[repr(C)]
pub struct MemoryV2 {
    version: c_uint,
    total: c_ulonglong,
    reserved: c_ulonglong,
    free: c_ulonglong,
    used: c_ulonglong,
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetMemoryInfo_v2(device: *mut c_void, out: *mut MemoryV2) -> Ret {
    if !valid(device) || out.is_null() {
        return INVALID_ARGUMENT;
    }
    let s = script();
    let (total, used) = (s.mem_total_mib * MIB, s.mem_used_mib * MIB);
    unsafe {
        (*out).total = total;
        (*out).reserved = 0;
        (*out).used = used;
        (*out).free = total.saturating_sub(used);
    }
    SUCCESS
}

/// `nvmlMemory_t` (the v1 call, for callers that use it).
#[repr(C)]
pub struct Memory {
    total: c_ulonglong,
    free: c_ulonglong,
    used: c_ulonglong,
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetMemoryInfo(device: *mut c_void, out: *mut Memory) -> Ret {
    if !valid(device) || out.is_null() {
        return INVALID_ARGUMENT;
    }
    let s = script();
    let (total, used) = (s.mem_total_mib * MIB, s.mem_used_mib * MIB);
    unsafe { *out = Memory { total, free: total.saturating_sub(used), used } };
    SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetTemperature(
    device: *mut c_void,
    sensor: c_uint,
    temp: *mut c_uint,
) -> Ret {
    // Sensor 0 is NVML_TEMPERATURE_GPU, the only one there is.
    if !valid(device) || temp.is_null() || sensor != 0 {
        return INVALID_ARGUMENT;
    }
    unsafe { *temp = script().temp };
    SUCCESS
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetPowerUsage(device: *mut c_void, milliwatts: *mut c_uint) -> Ret {
    if !valid(device) || milliwatts.is_null() {
        return INVALID_ARGUMENT;
    }
    unsafe { *milliwatts = script().power_w.saturating_mul(1000) };
    SUCCESS
}

#[cfg(feature = "clocks")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetClockInfo(device: *mut c_void, clock: c_uint, mhz: *mut c_uint) -> Ret {
    if !valid(device) || mhz.is_null() {
        return INVALID_ARGUMENT;
    }
    // 1 is NVML_CLOCK_SM; the others are not scripted.
    if clock != 1 {
        return NOT_SUPPORTED;
    }
    unsafe { *mhz = script().sm_mhz };
    SUCCESS
}

/// `nvmlProcessInfo_v2_t`.
#[cfg(feature = "processes")]
#[repr(C)]
pub struct ProcessInfo {
    pid: c_uint,
    used_gpu_memory: c_ulonglong,
    gpu_instance_id: c_uint,
    compute_instance_id: c_uint,
}

/// As NVML: with too small a buffer (or none), the count is written and `INSUFFICIENT_SIZE`
/// returned; otherwise the processes are written and the count set to how many.
#[cfg(feature = "processes")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nvmlDeviceGetComputeRunningProcesses_v3(
    device: *mut c_void,
    count: *mut c_uint,
    infos: *mut ProcessInfo,
) -> Ret {
    if !valid(device) || count.is_null() {
        return INVALID_ARGUMENT;
    }
    let s = script();
    unsafe {
        if infos.is_null() || *count < s.procs {
            *count = s.procs;
            return if s.procs == 0 { SUCCESS } else { INSUFFICIENT_SIZE };
        }
        for i in 0..s.procs {
            *infos.add(i as usize) = ProcessInfo {
                pid: 1000 + i,
                used_gpu_memory: s.proc_mem_mib * MIB,
                // NVML's "no value": not a MIG instance.
                gpu_instance_id: u32::MAX,
                compute_instance_id: u32::MAX,
            };
        }
        *count = s.procs;
    }
    SUCCESS
}
