import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes conveyor keeps on every pipeline workflow, so the Web UI can filter by them. */
export const ConveyorService = defineSearchAttributeKey('ConveyorService', SearchAttributeType.KEYWORD);
export const ConveyorPaused = defineSearchAttributeKey('ConveyorPaused', SearchAttributeType.BOOL);
export const ConveyorStage = defineSearchAttributeKey('ConveyorStage', SearchAttributeType.KEYWORD);

export const conveyorSearchAttributes = [ConveyorService, ConveyorPaused, ConveyorStage];
