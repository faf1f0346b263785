package dev.loopflux.core.file;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Turns what the JDK throws into errors that say what was done to which file: every error a
 * file publisher signals is a {@link FileSystemException} whose {@link FileSystemException#getFile()
 * file} is the path, whose message starts with it, and whose type says what happened
 * ({@link NoSuchFileException}, {@link AccessDeniedException}, or the base type for the rest:
 * a directory, a full disk, an IO error). The JDK's exception is kept as the cause.
 */
final class FileErrors {
    private FileErrors() {
    }

    /** {@code action} is what was being done, as in "cannot open for reading" or "write at offset 42 failed". */
    static FileSystemException translate(Throwable e, Path path, String action) {
        String file = path.toString();
        FileSystemException translated;
        if (e instanceof NoSuchFileException) {
            translated = new NoSuchFileException(file, null, action + ": no such file");
        } else if (e instanceof AccessDeniedException) {
            translated = new AccessDeniedException(file, null, action + ": permission denied");
        } else if (e instanceof FileSystemException fse) {
            translated = new FileSystemException(file, null, action + ": " + reason(fse));
        } else if (e instanceof ClosedChannelException) {
            translated = new FileSystemException(file, null, action + ": the file was closed");
        } else {
            translated = new FileSystemException(file, null, action + ": " + e.getMessage());
        }
        translated.initCause(e);
        return translated;
    }

    private static String reason(FileSystemException e) {
        return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
    }

    /** What {@code close} threw, added to {@code error} if there is one, else dropped. */
    static void closeQuietly(java.nio.channels.Channel channel, Throwable error) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            if (error != null) {
                error.addSuppressed(e);
            }
        }
    }
}
