/// <reference path="./interfaces/runner-scenario-clock.d.ts" />
/// <reference path="./interfaces/runner-scenario-guest.d.ts" />
/// <reference path="./interfaces/runner-scenario-http.d.ts" />
/// <reference path="./interfaces/runner-scenario-llm.d.ts" />
/// <reference path="./interfaces/runner-scenario-load.d.ts" />
/// <reference path="./interfaces/runner-scenario-log.d.ts" />
/// <reference path="./interfaces/runner-scenario-metrics.d.ts" />
/// <reference path="./interfaces/runner-scenario-params.d.ts" />
/// <reference path="./interfaces/runner-scenario-types.d.ts" />
declare module 'runner:scenario/scenario@0.1.1' {
  export type * as RunnerScenarioClock011 from 'runner:scenario/clock@0.1.1'; // import runner:scenario/clock@0.1.1
  export type * as RunnerScenarioHttp011 from 'runner:scenario/http@0.1.1'; // import runner:scenario/http@0.1.1
  export type * as RunnerScenarioLlm011 from 'runner:scenario/llm@0.1.1'; // import runner:scenario/llm@0.1.1
  export type * as RunnerScenarioLoad011 from 'runner:scenario/load@0.1.1'; // import runner:scenario/load@0.1.1
  export type * as RunnerScenarioLog011 from 'runner:scenario/log@0.1.1'; // import runner:scenario/log@0.1.1
  export type * as RunnerScenarioMetrics011 from 'runner:scenario/metrics@0.1.1'; // import runner:scenario/metrics@0.1.1
  export type * as RunnerScenarioParams011 from 'runner:scenario/params@0.1.1'; // import runner:scenario/params@0.1.1
  export type * as RunnerScenarioTypes011 from 'runner:scenario/types@0.1.1'; // import runner:scenario/types@0.1.1
  export * as guest from 'runner:scenario/guest@0.1.1'; // export runner:scenario/guest@0.1.1
}
