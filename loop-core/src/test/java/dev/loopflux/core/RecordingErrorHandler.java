package dev.loopflux.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test fixture: remembers what a loop reported, and on which thread. */
final class RecordingErrorHandler implements LoopErrorHandler {
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    @Override
    public void onError(Loop loop, Throwable error) {
        threads.add(Thread.currentThread());
        errors.add(error);
    }
}
