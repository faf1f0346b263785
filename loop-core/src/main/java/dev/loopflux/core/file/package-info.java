/**
 * File IO as backpressured publishers on a loop: {@link dev.loopflux.core.file.FileIo#read} and
 * {@link dev.loopflux.core.file.FileIo#write}, with their options. The blocking calls run on a
 * {@link dev.loopflux.core.BlockingPool}; every signal comes on the loop. Sending a file over a
 * connection without copying it through the heap is {@link dev.loopflux.core.net.Connection#sendFile}.
 */
package dev.loopflux.core.file;
