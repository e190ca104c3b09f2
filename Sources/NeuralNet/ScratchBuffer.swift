/// A fixed-size, manually managed buffer for hot loops: reads and writes through a constant
/// pointer, so there are no copy-on-write, bounds or exclusivity checks per element.
public final class ScratchBuffer<Element>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int

    public init(repeating value: Element, count: Int) {
        self.count = count
        // Whole cache lines of its own: buffers of different threads' workspaces must never
        // share a line (each write would move the line between cores).
        let bytes = (max(count, 1) * MemoryLayout<Element>.stride + 63) / 64 * 64
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: max(64, MemoryLayout<Element>.alignment))
            .bindMemory(to: Element.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit {
        pointer.deinitialize(count: max(count, 1))
        pointer.deallocate()
    }

    @inlinable public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Element) { pointer.update(repeating: value, count: count) }

    /// The contents as an array (prefix of `n` elements when given).
    public func array(_ n: Int? = nil) -> [Element] { Array(UnsafeBufferPointer(start: pointer, count: n ?? count)) }
}
