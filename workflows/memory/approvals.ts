import type { Approval, ApprovalStage, WaitingApproval } from '../../domain/approval';
import { sameCommit } from '../../domain/commits';
import { stagePolicy, type Service } from '../../domain/service';

/** Approvals given and the commits waiting for one, per stage; an approval is spent by the promotion it let through. */
export class ApprovalBook {
  constructor(
    private given: Approval[] = [],
    private waitingFor: Record<string, WaitingApproval> = {},
  ) {}

  get approvals(): Approval[] {
    return this.given;
  }

  get waiting(): Record<string, WaitingApproval> {
    return this.waitingFor;
  }

  /** Stages whose promotions need approval, with the commit waiting for it (for the approve validator). */
  stages(service: Service): ApprovalStage[] {
    return service.stages.map((stage) => ({
      stage,
      policy: stagePolicy(service, stage).approval,
      waitingCommit: this.waitingFor[stage]?.commit ?? null,
    }));
  }

  approve(approval: Approval): void {
    this.given = [...this.given.filter((a) => a.stage !== approval.stage), approval];
  }

  /** What a decision made of them (domain/decision.ts rewrites both). */
  decided(given: Approval[], waiting: Record<string, WaitingApproval>): void {
    this.given = given;
    this.waitingFor = waiting;
  }

  /**
   * A rejection of `commit` is the newest decision about it: its approvals are withdrawn and it no
   * longer waits anywhere, so an unreject leaves it waiting for a fresh approval.
   */
  withdraw(commit: string): void {
    this.given = this.given.filter((a) => !sameCommit(a.commit, commit));
    for (const [stage, wait] of Object.entries(this.waitingFor))
      if (sameCommit(wait.commit, commit)) delete this.waitingFor[stage];
  }

  /** The promotion into `stage` was posted: its approval is used up, nothing waits there any more. */
  spend(stage: string): void {
    this.given = this.given.filter((a) => a.stage !== stage);
    delete this.waitingFor[stage];
  }
}
