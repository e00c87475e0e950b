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
declare module 'runner:scenario/scenario@0.2.0' {
  export type * as RunnerScenarioClock020 from 'runner:scenario/clock@0.2.0'; // import runner:scenario/clock@0.2.0
  export type * as RunnerScenarioData020 from 'runner:scenario/data@0.2.0'; // import runner:scenario/data@0.2.0
  export type * as RunnerScenarioGpu020 from 'runner:scenario/gpu@0.2.0'; // import runner:scenario/gpu@0.2.0
  export type * as RunnerScenarioHttp020 from 'runner:scenario/http@0.2.0'; // import runner:scenario/http@0.2.0
  export type * as RunnerScenarioLlm020 from 'runner:scenario/llm@0.2.0'; // import runner:scenario/llm@0.2.0
  export type * as RunnerScenarioLoad020 from 'runner:scenario/load@0.2.0'; // import runner:scenario/load@0.2.0
  export type * as RunnerScenarioLog020 from 'runner:scenario/log@0.2.0'; // import runner:scenario/log@0.2.0
  export type * as RunnerScenarioMetrics020 from 'runner:scenario/metrics@0.2.0'; // import runner:scenario/metrics@0.2.0
  export type * as RunnerScenarioParams020 from 'runner:scenario/params@0.2.0'; // import runner:scenario/params@0.2.0
  export type * as RunnerScenarioTypes020 from 'runner:scenario/types@0.2.0'; // import runner:scenario/types@0.2.0
  export * as guest from 'runner:scenario/guest@0.2.0'; // export runner:scenario/guest@0.2.0
}
