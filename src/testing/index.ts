/**
 * `carewire/testing`: the provider simulator (mock server with the provider's real
 * rate-limit and fault behaviour) and the contract-test kit.
 */
export {
  DEFAULT_CLIENTS,
  SimulatorConfigError,
  startSimulator,
  type HandlerContext,
  type HandlerResult,
  type Simulator,
  type SimulatorHandler,
  type SimulatorOptions,
} from "./simulator/server.js";
export { formatResponseWarning, type ResponseWarning } from "./simulator/response-report.js";
export type { DriftKind, Fault, FaultControls, FaultKind, FaultPlan, RandomFaults } from "./simulator/faults.js";
export { FaultPlanError, validateFaultPlan } from "./simulator/faults.js";
export type { ResourceStoreView, Resource } from "./simulator/state.js";
export type { Counters, LogEntry } from "./simulator/recorder.js";
export type { RateLimitHeaderStyle } from "./simulator/rate-limiter.js";
export { clinicScenario } from "./scenarios/clinic.js";
export { writeChaos } from "./scenarios/write-chaos.js";
export {
  openContractSession,
  runContract,
  type ContractCheck,
  type ContractOptions,
  type ContractOutcome,
  type ContractReport,
  type ContractSession,
} from "./contract.js";
export type { ContractCredentials } from "./contract-credentials.js";
export { describeContract, type TestRunner } from "./describe-contract.js";
export { FakeClock } from "./fake-clock.js";
export { answered, failed, planFor, scriptedNext, type PlanSetup, type ScriptedSend } from "./policy-harness.js";
export { startFhirSimulator, type FhirSimulator, type FhirSimulatorOptions } from "./fhir/fhir-simulator.js";
export type { SimulatorClock } from "./simulator/clock.js";
export type { BulkOptions } from "./fhir/bulk.js";
export { FhirStore, type StoredResource } from "./fhir/fhir-store.js";
export { runFhirContract, type FhirCheckOutcome, type FhirContractCheck, type FhirContractOptions, type FhirContractReport } from "./fhir/fhir-contract.js";
export type { RequestSource } from "./contract-request.js";
export type { FhirPointsOptions } from "./fhir/fhir-quotas.js";
export type { PointsQuotaOptions } from "./simulator/points-quota.js";
export type { SubscriptionControls } from "./fhir/subscription-engine.js";
export type { SubscriptionFaults, SubscriptionSimulatorOptions, SubscriptionTopicOptions, TopicInteraction } from "./fhir/subscription-topics.js";
export type { StoreChange, StoreChangeListener } from "./fhir/fhir-store.js";
export { DEFAULT_RETRY_SCHEDULE_MS, type SimulatorWebhookOptions, type SimulatorWebhooks, type WebhookDelivery } from "./simulator/webhook-sender.js";
export type { ScheduledChangesOptions } from "./simulator/scheduled-changes.js";
