package dev.loopflux.core.net;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.file.FileIo;
import dev.loopflux.core.file.ReadOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.RejectedExecutionException;

/**
 * What {@link Connection#sendFile} sends, and how its file is opened when the send's turn comes:
 * on the {@link BlockingPool#shared() shared pool}, since opening may block. A regular file
 * becomes a {@link FileRegion} sent with {@code transferTo}; anything else (a device, a pipe, a
 * {@code /proc} file, whose size means nothing to sendfile), or every file when the system property
 * {@code loopflux.sendfile} is {@code false}, is read on the pool with {@link FileIo#read} and
 * sent as buffers, like any send.
 *
 * <p>Threading: {@link #open} on the loop thread; the outcome comes back to it as a task.
 */
final class FileSend {
    /**
     * Off switch for {@code transferTo} (read once): where sendfile misbehaves (a file system
     * without it, a kernel bug), every file goes through the read-and-write path instead.
     */
    static final boolean SENDFILE = !"false".equalsIgnoreCase(System.getProperty("loopflux.sendfile"));

    final Path path;
    final long position;
    /** Bytes to send; {@code Long.MAX_VALUE} for "to the end". */
    final long count;

    FileSend(Path path, long position, long count) {
        if (position < 0) {
            throw new IllegalArgumentException("position < 0: " + position);
        }
        if (count < 0) {
            throw new IllegalArgumentException("count < 0: " + count);
        }
        this.path = path;
        this.position = position;
        this.count = count;
    }

    /** Loop thread: {@code op}'s turn has come; open the file on the pool. */
    void open(SendOperation op, Outbound outbound) {
        try {
            BlockingPool.shared().execute(() -> openNow(op, outbound));
        } catch (RejectedExecutionException e) {
            outbound.onUpstreamError(op, error(e, "cannot send"));
        }
    }

    /** Pool thread. */
    private void openNow(SendOperation op, Outbound outbound) {
        FileChannel file = null;
        try {
            file = FileChannel.open(path, StandardOpenOption.READ);
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                throw new FileSystemException(path.toString(), null, "is a directory");
            }
            if (!attributes.isRegularFile() || !SENDFILE) {
                file.close();
                ReadOptions range = ReadOptions.builder().position(position).length(count).build();
                handBack(outbound, () -> op.startData(FileIo.read(outbound.connection.loop, path, range)), null);
                return;
            }
            long size = file.size();
            if (position > size || (count != Long.MAX_VALUE && count > size - position)) {
                throw new FileSystemException(path.toString(), null, (count == Long.MAX_VALUE ? "the end" : count + " bytes")
                        + " from position " + position + " asked, the file has " + size + " bytes");
            }
            FileRegion region = new FileRegion(path, file, position, count == Long.MAX_VALUE ? size : position + count);
            handBack(outbound, () -> outbound.onFileOpened(op, region), region);
        } catch (IOException e) {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            handBack(outbound, () -> outbound.onUpstreamError(op, error(e, "cannot send")), null);
        }
    }

    private static void handBack(Outbound outbound, Runnable action, FileRegion region) {
        try {
            outbound.connection.loop.execute(action);
        } catch (RejectedExecutionException e) {
            if (region != null) {
                region.close(); // the loop is gone, and it closed the connection as it went
            }
        }
    }

    /** An error that names the file and says what happened, of the type the JDK gave it. */
    private FileSystemException error(Exception e, String action) {
        String file = path.toString();
        FileSystemException error;
        if (e instanceof NoSuchFileException) {
            error = new NoSuchFileException(file, null, action + ": no such file");
        } else if (e instanceof AccessDeniedException) {
            error = new AccessDeniedException(file, null, action + ": permission denied");
        } else if (e instanceof FileSystemException fse && fse.getReason() != null) {
            error = new FileSystemException(file, null, action + ": " + fse.getReason());
        } else {
            error = new FileSystemException(file, null, action + ": " + e.getMessage());
        }
        error.initCause(e);
        return error;
    }
}
