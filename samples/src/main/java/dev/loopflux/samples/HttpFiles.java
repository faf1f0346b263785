package dev.loopflux.samples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The files under one directory, by name, without letting a name out of it.
 *
 * <p>A name is one path segment: after percent-decoding it must not be empty, {@code .} or
 * {@code ..}, nor hold {@code /}, {@code \} or NUL; and the file's real path (symbolic links
 * resolved) must still be under the directory's. Anything else is "not found".
 *
 * <p>Every file system call here blocks: {@link #find} runs on a pool, never on a loop. The
 * bytes go out by the connection's zero-copy {@code sendFile}.
 *
 * <p>Immutable and thread-safe.
 */
final class HttpFiles {
    /** A file found: where it really is, and its size when found. */
    record Found(Path path, long size) {
    }

    /** The directory's real path, or null when no directory is served. */
    private final Path root;

    HttpFiles(Path root) throws IOException {
        this.root = root == null ? null : root.toRealPath();
        if (this.root != null && !Files.isDirectory(this.root)) {
            throw new IOException("not a directory: " + root);
        }
    }

    /**
     * Decodes one percent-encoded path segment as UTF-8.
     *
     * @throws IllegalArgumentException on a bad {@code %} escape or bytes that are not UTF-8
     */
    static String percentDecode(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c != '%') {
                bytes.write(c); // the decoder let only visible ASCII into a target
                continue;
            }
            int high = i + 2 < segment.length() ? Character.digit(segment.charAt(i + 1), 16) : -1;
            int low = high < 0 ? -1 : Character.digit(segment.charAt(i + 2), 16);
            if (low < 0) {
                throw new IllegalArgumentException("bad percent escape at " + i + ": " + segment);
            }
            bytes.write(high << 4 | low);
            i += 2;
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 once decoded: " + segment, e);
        }
    }

    /** True for a name that can only mean a file directly in the directory. */
    static boolean isPlainName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    /**
     * The regular, readable file called {@code name} in the directory, if there is one. Blocking:
     * call it from a pool.
     */
    Optional<Found> find(String name) {
        if (root == null || !isPlainName(name)) {
            return Optional.empty();
        }
        try {
            Path real = root.resolve(name).toRealPath();
            if (!real.startsWith(root) || !Files.isRegularFile(real) || !Files.isReadable(real)) {
                return Optional.empty(); // a link out of the directory, or not a plain file
            }
            return Optional.of(new Found(real, Files.size(real)));
        } catch (IOException | InvalidPathException e) {
            return Optional.empty();
        }
    }
}
