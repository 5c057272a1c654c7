import Foundation
import KenningBlocks
import KenningCore
import Testing

/// numpy's formats read as numpy wrote them, and real data through ArrayDataset (scripts/make-array-fixtures).
@Suite struct ArrayDatasets {
    static let fixtures = repo("build/array-fixtures")

    @Test func everyDtypeNumpyWrites() throws {
        let dir = temporaryDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repo(".venv/bin/python"))
        p.arguments = ["-c", """
            import numpy as np
            v = [0, 1, -2, 3, 100, -100]
            arrays = {t: np.array(v, dtype=t).reshape(2, 3) for t in ["int8", "int16", "int32", "int64", "float16", "float32", "float64"]}
            arrays["uint8"] = np.array([0, 1, 2, 3, 200, 255], np.uint8).reshape(2, 3)
            arrays["bool"] = np.array([0, 1, 0, 1, 1, 0], bool).reshape(2, 3)
            np.savez("\(dir)/stored.npz", **arrays)
            np.savez_compressed("\(dir)/deflated.npz", **arrays)
            np.save("\(dir)/one.npy", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
            """]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        for file in ["stored.npz", "deflated.npz"] {
            let arrays = Dictionary(uniqueKeysWithValues: try NumpyArray.read("\(dir)/\(file)"))
            #expect(arrays.count == 9)
            for t in ["int8", "int16", "int32", "int64", "float16", "float32", "float64"] {
                #expect(arrays[t]?.shape == [2, 3] && arrays[t]?.values == [0, 1, -2, 3, 100, -100], "\(file) \(t): \(String(describing: arrays[t]))")
            }
            #expect(arrays["uint8"]?.values == [0, 1, 2, 3, 200, 255] && arrays["bool"]?.values == [0, 1, 0, 1, 1, 0])
        }
        let one = try NumpyArray.read("\(dir)/one.npy")
        #expect(one.count == 1 && one[0].0 == "one" && one[0].1.shape == [2, 3, 4] && one[0].1.values == (0..<24).map(Float.init))
        #expect(throws: KenningError.self) { try NumpyArray.parse(Array("not numpy".utf8), name: "x") }
    }

    @Test func digitsArchiveSplitsLikeTheDigitsData() throws {
        try #require(FileManager.default.fileExists(atPath: Self.fixtures + "/faces.npy"), "run scripts/make-array-fixtures")
        let a = try ArrayDataset(try resolved(ArrayDataset.description.parameters, [("dataset_root", .string(Self.fixtures + "/digits.npz"))]))
        let d = try DigitsDataset(try resolved(DigitsDataset.description.parameters, [("dataset_root", .string(repo("data/digits")))]))
        #expect(a.inputNames == ["input"] && a.inputShapes == [[1, 8, 8]] && a.classNames.count == 10)
        #expect(a.testIndices == d.testIndices && a.trainIndices == d.trainIndices)
        #expect(a.sample(5) == d.sample(5).map { $0 / 16 })
        // Without labels: no classes, every sample still in a split.
        let faces = try ArrayDataset(try resolved(ArrayDataset.description.parameters, [("dataset_root", .string(Self.fixtures + "/faces.npy"))]))
        #expect(faces.classNames.isEmpty && faces.inputShapes == [[25, 25]] && faces.trainIndices.count + faces.testIndices.count == 200)
    }
}
