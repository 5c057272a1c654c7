import Foundation
import KenningCore

extension BlockRegistry {
    /// Every block built into swift-kenning.
    public static let builtIn = BlockRegistry([
        BlockEntry(DigitsDataset.description, maker: .dataset { p throws(KenningError) in try DigitsDataset(p) }),
        BlockEntry(RandomizedClassificationDataset.description, maker: .dataset { p throws(KenningError) in try RandomizedClassificationDataset(p) }),
        BlockEntry(ONNXImageClassifier.description, maker: .modelWrapper { p throws(KenningError) in try ONNXImageClassifier(p) }),
        BlockEntry(NativeGraphOptimizer.description, maker: .optimizer { p throws(KenningError) in try NativeGraphOptimizer(p) }),
        BlockEntry(NativeQuantizer.description, maker: .optimizer { p throws(KenningError) in try NativeQuantizer(p) }),
        BlockEntry(NativeRuntime.description, maker: .runtime { p throws(KenningError) in try NativeRuntime(p) }),
        // Framework blocks, run in Kenning-protocol worker processes (KenningWorkers + workers/python).
        BlockEntry(PetDataset.description, maker: .dataset { p throws(KenningError) in try PetDataset(p) }),
        BlockEntry(ImageFolderDataset.description, maker: .dataset { p throws(KenningError) in try ImageFolderDataset(p) }),
        BlockEntry(ImageNetDataset.description, maker: .dataset { p throws(KenningError) in try ImageNetDataset(p) }),
        BlockEntry(ArrayDataset.description, maker: .dataset { p throws(KenningError) in try ArrayDataset(p) }),
        BlockEntry(AnyModel.description, maker: .modelWrapper { p throws(KenningError) in try AnyModel(p) }),
        BlockEntry(COCODataset2017.description, maker: .dataset { p throws(KenningError) in try COCODataset2017(p) }),
        BlockEntry(YOLODetector.description, maker: .modelWrapper { p throws(KenningError) in try YOLODetector(p) }),
        BlockEntry(SSDDetector.description, maker: .modelWrapper { p throws(KenningError) in try SSDDetector(p) }),
        BlockEntry(TensorFlowPetDatasetMobileNetV2.description, maker: .modelWrapper { p throws(KenningError) in try TensorFlowPetDatasetMobileNetV2(p) }),
        BlockEntry(MagicWandDataset.description, maker: .dataset { p throws(KenningError) in try MagicWandDataset(p) }),
        BlockEntry(MagicWandModelWrapper.description, maker: .modelWrapper { p throws(KenningError) in try MagicWandModelWrapper(p) }),
        BlockEntry(ONNXRuntimeQuantizer.description, maker: .optimizer { p throws(KenningError) in try ONNXRuntimeQuantizer(p) }),
        BlockEntry(OpenVINOCompiler.description, maker: .optimizer { p throws(KenningError) in try OpenVINOCompiler(p) }),
        BlockEntry(IREECompiler.description, maker: .optimizer { p throws(KenningError) in try IREECompiler(p) }),
        BlockEntry(TVMCompiler.description, maker: .optimizer { p throws(KenningError) in try TVMCompiler(p) }),
        BlockEntry(TFLiteCompiler.description, maker: .optimizer { p throws(KenningError) in try TFLiteCompiler(p) }),
        BlockEntry(ONNXCompiler.description, maker: .optimizer { p throws(KenningError) in try ONNXCompiler(p) }),
        BlockEntry(ONNXRuntime.description, maker: .runtime { p throws(KenningError) in try ONNXRuntime(p) }),
        BlockEntry(OpenVINORuntime.description, maker: .runtime { p throws(KenningError) in try OpenVINORuntime(p) }),
        BlockEntry(IREERuntime.description, maker: .runtime { p throws(KenningError) in try IREERuntime(p) }),
        BlockEntry(TVMRuntime.description, maker: .runtime { p throws(KenningError) in try TVMRuntime(p) }),
        BlockEntry(TFLiteRuntime.description, maker: .runtime { p throws(KenningError) in try TFLiteRuntime(p) }),
        // Targets: how a scenario reaches the machine or board that measures it, and what that target is.
        BlockEntry(NetworkProtocol.description, maker: .protocol { p throws(KenningError) in try NetworkProtocol(p) }),
        BlockEntry(UARTProtocol.description, maker: .protocol { p throws(KenningError) in try UARTProtocol(p) }),
        BlockEntry(LocalPlatform.description, maker: .platform { p throws(KenningError) in try LocalPlatform(p) }),
        BlockEntry(BoardPlatform.description, maker: .platform { p throws(KenningError) in try BoardPlatform(p) }),
        BlockEntry(BareMetalPlatform.description, maker: .platform { p throws(KenningError) in try BareMetalPlatform(p) }),
    ])
}
