/**
 * Network protocol building blocks on top of the loop: framing of byte streams.
 *
 * <p>{@link dev.loopflux.core.net.Framing} turns any {@code Publisher<ByteBuffer>} of chunks (as
 * read from a socket, in whatever sizes the kernel hands them out) into a {@code Publisher} of
 * whole frames, with the same backpressure: no frame is decoded before it is requested, no chunk
 * is read before a frame is needed, and a peer cannot make a subscriber buffer more than one frame.
 * Bad input from a peer fails the stream with a {@link dev.loopflux.core.net.FramingException}.
 *
 * <p>{@link dev.loopflux.core.net.UdpEndpoint} is a UDP socket whose received
 * {@link dev.loopflux.core.net.Datagram}s are a publisher read only while it has demand (with
 * none, the kernel drops, as UDP does), and whose sends subscribe to publishers of datagrams.
 */
package dev.loopflux.core.net;
