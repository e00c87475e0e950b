/// <reference path="./interfaces/runner-scenario-clock.d.ts" />
/// <reference path="./interfaces/runner-scenario-data.d.ts" />
/// <reference path="./interfaces/runner-scenario-gpu.d.ts" />
/// <reference path="./interfaces/runner-scenario-guest.d.ts" />
/// <reference path="./interfaces/runner-scenario-http.d.ts" />
/// <reference path="./interfaces/runner-scenario-llm.d.ts" />
/// <reference path="./interfaces/runner-scenario-load.d.ts" />
/// <reference path="./interfaces/runner-scenario-log.d.ts" />
/// <reference path="./interfaces/runner-scenario-metrics.d.ts" />
/// <reference path="./interfaces/runner-scenario-params.d.ts" />
/// <reference path="./interfaces/runner-scenario-types.d.ts" />
declare module 'runner:scenario/scenario@0.4.0' {
  export type * as RunnerScenarioClock040 from 'runner:scenario/clock@0.4.0'; // import runner:scenario/clock@0.4.0
  export type * as RunnerScenarioData040 from 'runner:scenario/data@0.4.0'; // import runner:scenario/data@0.4.0
  export type * as RunnerScenarioGpu040 from 'runner:scenario/gpu@0.4.0'; // import runner:scenario/gpu@0.4.0
  export type * as RunnerScenarioHttp040 from 'runner:scenario/http@0.4.0'; // import runner:scenario/http@0.4.0
  export type * as RunnerScenarioLlm040 from 'runner:scenario/llm@0.4.0'; // import runner:scenario/llm@0.4.0
  export type * as RunnerScenarioLoad040 from 'runner:scenario/load@0.4.0'; // import runner:scenario/load@0.4.0
  export type * as RunnerScenarioLog040 from 'runner:scenario/log@0.4.0'; // import runner:scenario/log@0.4.0
  export type * as RunnerScenarioMetrics040 from 'runner:scenario/metrics@0.4.0'; // import runner:scenario/metrics@0.4.0
  export type * as RunnerScenarioParams040 from 'runner:scenario/params@0.4.0'; // import runner:scenario/params@0.4.0
  export type * as RunnerScenarioTypes040 from 'runner:scenario/types@0.4.0'; // import runner:scenario/types@0.4.0
  export * as guest from 'runner:scenario/guest@0.4.0'; // export runner:scenario/guest@0.4.0
}
