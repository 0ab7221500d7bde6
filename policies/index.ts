import { PolicyPack } from "@pulumi/policy";
import { RUNBOOK_POLICIES } from "./runbook-policies";

// The only place the pack is constructed: constructing it starts the policy server, so tests
// import the policies from runbook-policies.ts instead.
new PolicyPack("waste-management-runbook", {
  description: "The operations runbook's guarantees: a stack that breaks one is refused.",
  policies: RUNBOOK_POLICIES,
});
