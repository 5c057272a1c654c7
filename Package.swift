// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "swift-kenning",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kenning", targets: ["kenning"]),
        .library(name: "KenningEngine", targets: ["KenningEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
    ],
    targets: [
        .target(name: "CCPUID", path: "Sources/CCPUID"),
        .target(name: "KenningCore", dependencies: ["CCPUID"], swiftSettings: strict),
        .target(name: "KenningModel", dependencies: ["KenningCore"], swiftSettings: strict),
        .target(name: "KenningSearch", dependencies: ["KenningCore"], swiftSettings: strict),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CXNNPACK", path: "Sources/CXNNPACK", providers: [.apt(["libxnnpack-dev", "libpthreadpool-dev", "libcpuinfo-dev"])]),
        .target(name: "KenningNative", dependencies: ["KenningCore", "KenningModel", "CDNNL", "COpenBLAS", "CXNNPACK"],
                swiftSettings: strict + [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "KenningWorkers", dependencies: ["KenningCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .target(name: "KenningBlocks", dependencies: ["KenningCore", "KenningModel", "KenningNative", "KenningWorkers",
                                                      .product(name: "Yams", package: "Yams"),
                                                      .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: strict),
        .target(name: "KenningReport", dependencies: ["KenningCore", .product(name: "Plot", package: "Plot")], swiftSettings: strict),
        .target(name: "KenningEngine",
                dependencies: ["KenningCore", "KenningModel", "KenningSearch", "KenningBlocks", "KenningWorkers", "KenningReport", .product(name: "Yams", package: "Yams"),
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "Subprocess", package: "swift-subprocess")],
                swiftSettings: strict),
        .executableTarget(name: "kenning",
                          dependencies: ["KenningEngine", "KenningReport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),
        .executableTarget(name: "kenning-bench", dependencies: ["KenningCore", "KenningModel", "KenningNative", "KenningBlocks"],
                          path: "Benchmarks/kenning-bench", swiftSettings: strict),
        .testTarget(name: "KenningTests",
                    dependencies: ["KenningCore", "KenningModel", "KenningNative", "KenningBlocks", "KenningEngine", "KenningSearch", "KenningWorkers",
                                   "KenningReport"],
                    exclude: ["Support"], swiftSettings: strict),
        .testTarget(name: "KenningCLITests", dependencies: ["KenningCore", "KenningWorkers"], exclude: ["Golden", "Support"], swiftSettings: strict),
    ]
)
