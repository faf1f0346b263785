package dev.loopflux.core.net;

import org.reactivestreams.Subscription;

/** The subscription given before an immediate {@code onError} or {@code onComplete}: it does nothing. */
enum EmptySubscription implements Subscription {
    INSTANCE;

    @Override
    public void request(long n) {
    }

    @Override
    public void cancel() {
    }
}
