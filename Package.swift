// swift-tools-version:6.0
import PackageDescription

// Module graph (no cycles, ML and genomics kept apart):
//   Genomics  (peaks, FASTA, one-hot codes, Basset merge)          — no ML
//   NeuralNet (kernels, layers, losses, optimisers, RNG)           — no genomics
//   Storage   (HDF5 Basset layout, safetensors, atomic writes)     — Genomics
//   Motifs    (PWMs, MEME files, motif comparison, logos)          — Genomics
//   Tuning    (search space, Sobol, GP, acquisition, ask/tell)     — LAPACK
//   SigTFB    (models, training, metrics, analysis, pipeline)      — all of the above
//   sigtfb    (the CLI, thin)
let package = Package(
    name: "sigtfb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sigtfb", targets: ["SigTFBCLI"]),
        .library(name: "SigTFB", targets: ["SigTFB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // A header-only shim (no library): the compiler's prefetch builtin for the kernels.
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "Genomics", dependencies: ["CZlib"]),
        .target(name: "Motifs", dependencies: ["Genomics"]),
        .target(name: "NeuralNet", dependencies: ["COpenBLAS", "CPrefetch"]),
        .target(name: "Storage", dependencies: ["CHDF5", "Genomics"]),
        .target(name: "Tuning", dependencies: ["COpenBLAS"]),
        .target(name: "SigTFB", dependencies: ["Genomics", "Motifs", "NeuralNet", "Storage", "Tuning"]),
        .executableTarget(
            name: "SigTFBCLI",
            dependencies: ["SigTFB", "Genomics", "Motifs", "NeuralNet", "Storage", "Tuning",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/sigtfb"),
        .testTarget(name: "GenomicsTests", dependencies: ["Genomics"], path: "Tests/GenomicsTests"),
        .testTarget(name: "MotifsTests", dependencies: ["Motifs"], path: "Tests/MotifsTests"),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet"], path: "Tests/NeuralNetTests"),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], path: "Tests/StorageTests"),
        .testTarget(name: "TuningTests", dependencies: ["Tuning"], path: "Tests/TuningTests"),
        .testTarget(name: "SigTFBTests", dependencies: ["SigTFB"], path: "Tests/SigTFBTests"),
    ],
    swiftLanguageModes: [.v5]
)
