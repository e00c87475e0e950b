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
declare module 'runner:scenario/scenario@0.3.0' {
  export type * as RunnerScenarioClock030 from 'runner:scenario/clock@0.3.0'; // import runner:scenario/clock@0.3.0
  export type * as RunnerScenarioData030 from 'runner:scenario/data@0.3.0'; // import runner:scenario/data@0.3.0
  export type * as RunnerScenarioGpu030 from 'runner:scenario/gpu@0.3.0'; // import runner:scenario/gpu@0.3.0
  export type * as RunnerScenarioHttp030 from 'runner:scenario/http@0.3.0'; // import runner:scenario/http@0.3.0
  export type * as RunnerScenarioLlm030 from 'runner:scenario/llm@0.3.0'; // import runner:scenario/llm@0.3.0
  export type * as RunnerScenarioLoad030 from 'runner:scenario/load@0.3.0'; // import runner:scenario/load@0.3.0
  export type * as RunnerScenarioLog030 from 'runner:scenario/log@0.3.0'; // import runner:scenario/log@0.3.0
  export type * as RunnerScenarioMetrics030 from 'runner:scenario/metrics@0.3.0'; // import runner:scenario/metrics@0.3.0
  export type * as RunnerScenarioParams030 from 'runner:scenario/params@0.3.0'; // import runner:scenario/params@0.3.0
  export type * as RunnerScenarioTypes030 from 'runner:scenario/types@0.3.0'; // import runner:scenario/types@0.3.0
  export * as guest from 'runner:scenario/guest@0.3.0'; // export runner:scenario/guest@0.3.0
}
