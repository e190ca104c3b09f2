/// A dense float tensor: a shape and its values, row-major (PyTorch's contiguous layout).
public struct Tensor: Sendable, Equatable, Codable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Normal(0, std) values from the given generator.
    public init(normal shape: [Int], std: Double, rng: inout SeededRandom) {
        let n = shape.reduce(1, *)
        var d = [Float](repeating: 0, count: n)
        for i in 0..<n { d[i] = Float(rng.normal() * std) }
        self.init(shape: shape, data: d)
    }

    @inlinable public var count: Int { data.count }
}

/// Parameters in a fixed order, each with its PyTorch `state_dict` name, so checkpoints
/// interchange with PyTorch and optimisers can walk them in a stable order.
public struct NamedParameters: Sendable, Equatable {
    public private(set) var names: [String] = []
    public var tensors: [Tensor] = []

    public init() {}

    public init(_ pairs: [(String, Tensor)]) {
        for (n, t) in pairs { append(n, t) }
    }

    public mutating func append(_ name: String, _ tensor: Tensor) {
        precondition(!names.contains(name), "duplicate parameter \(name)")
        names.append(name)
        tensors.append(tensor)
    }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public subscript(name: String) -> Tensor? {
        get { index(of: name).map { tensors[$0] } }
        set {
            guard let t = newValue else { return }
            if let i = index(of: name) { tensors[i] = t } else { append(name, t) }
        }
    }

    /// Zero tensors of the same shapes (gradient buffers).
    public func zerosLike() -> NamedParameters {
        var z = NamedParameters()
        for (n, t) in zip(names, tensors) { z.append(n, Tensor(zeros: t.shape)) }
        return z
    }

    public var totalCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// True when every value is finite.
    public var allFinite: Bool { tensors.allSatisfy { $0.data.allSatisfy { $0.isFinite } } }

    /// Calls `body` with the storage of every tensor, in order, valid only inside `body` (for
    /// threads that update disjoint slices).
    public mutating func withDataPointers<R>(_ body: ([UnsafeMutableBufferPointer<Float>]) throws -> R) rethrows -> R {
        var data = [[Float]](repeating: [], count: tensors.count)
        for i in tensors.indices { swap(&data[i], &tensors[i].data) }
        defer { for i in tensors.indices { swap(&data[i], &tensors[i].data) } }
        return try withMutableStorage(&data, body)
    }
}

/// Calls `body` with the storage of each array, in order, valid only inside `body`. Each array
/// is moved out of `arrays` while its pointer is in use, so it is uniquely owned (no
/// copy-on-write copy is made) and nothing else can reach it.
public func withMutableStorage<R>(_ arrays: inout [[Float]],
                                  _ body: ([UnsafeMutableBufferPointer<Float>]) throws -> R) rethrows -> R {
    var pointers: [UnsafeMutableBufferPointer<Float>] = []
    pointers.reserveCapacity(arrays.count)
    func nest(_ i: Int) throws -> R {
        if i == arrays.count { return try body(pointers) }
        var a: [Float] = []
        swap(&a, &arrays[i])
        defer { swap(&a, &arrays[i]) }
        return try a.withUnsafeMutableBufferPointer { p in
            pointers.append(p)
            return try nest(i + 1)
        }
    }
    return try nest(0)
}
