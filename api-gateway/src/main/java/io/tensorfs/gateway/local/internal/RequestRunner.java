package io.tensorfs.gateway.local.internal;

import java.util.concurrent.CompletionStage;

/** Starts a decoded request of a channel's slot; its stage never fails (a failure is an {@link Outcome}). */
@FunctionalInterface
public interface RequestRunner {
  CompletionStage<Outcome> run(Channel channel, int slot, SlotRequest request);
}
