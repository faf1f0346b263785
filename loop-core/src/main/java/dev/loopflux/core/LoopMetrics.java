package dev.loopflux.core;

import java.time.Duration;

/**
 * A snapshot of one loop's counters, from {@link Loop#metrics()}. Counters only grow; the
 * fields are read one by one without stopping the loop, so they are each exact but not
 * mutually consistent.
 *
 * @param name the loop's name
 * @param iterations loop iterations (one select each)
 * @param tasksRun tasks run from the task queue
 * @param timersRun timer runs (a fixed-rate timer counts once per run)
 * @param keysDispatched readiness events handed to {@link IoHandler}s
 * @param pendingTasks tasks queued and not yet run
 * @param pendingTimers timers neither run nor cancelled
 * @param registrations channels registered now
 * @param longestTask the longest single task, timer or handler run seen by the watchdog, which
 *     samples every {@code blockedThreshold / 8}; shorter runs are not seen
 * @param blockedReports how many times the watchdog reported the loop blocked
 * @param wakeups selector wake-ups made by other threads to hand over work
 * @param selectorRebuilds times the selector was replaced after spinning
 * @param errors errors reported to the error handler
 */
public record LoopMetrics(
        String name,
        long iterations,
        long tasksRun,
        long timersRun,
        long keysDispatched,
        int pendingTasks,
        int pendingTimers,
        int registrations,
        Duration longestTask,
        long blockedReports,
        long wakeups,
        long selectorRebuilds,
        long errors) {
}
