declare module 'runner:scenario/gpu@0.4.0' {
  /**
   * The newest sample of every device and server the run watches; empty when no telemetry
   * source is configured or none has answered yet.
   */
  export function latest(): Array<GpuSample>;
  /**
   * One device's newest reading. A figure the source does not provide is none.
   */
  export interface GpuSample {
    /**
     * The source that produced it: `nvml`, `amdgpu`, `prom`, ...
     */
    source: string,
    /**
     * The device within its source: an index, or the exporter's `gpu` label.
     */
    device: string,
    /**
     * When it was taken, in milliseconds on the run's clock (`clock.now-ms`).
     */
    atMs: number,
    /**
     * GPU utilisation, 0–100.
     */
    utilizationPercent?: number,
    memoryUsedMib?: number,
    memoryTotalMib?: number,
    temperatureC?: number,
    powerW?: number,
    /**
     * Requests the server is running (its own metrics).
     */
    requestsRunning?: number,
    /**
     * Requests waiting in the server's queue (its own metrics).
     */
    requestsWaiting?: number,
    /**
     * KV-cache usage, 0–100.
     */
    kvCachePercent?: number,
  }
}
