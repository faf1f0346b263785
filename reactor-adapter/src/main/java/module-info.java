/**
 * Loopflux for Reactor: the loop as a {@link reactor.core.scheduler.Scheduler}, and the
 * Flux/Mono networking API.
 */
module dev.loopflux.reactor {
    requires transitive dev.loopflux.core;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires static reactor.blockhound;

    exports dev.loopflux.reactor;

    provides reactor.blockhound.integration.BlockHoundIntegration with dev.loopflux.reactor.LoopBlockHoundIntegration;
}
