package io.fedpipe.model.onnx;

/**
 * An ONNX file that cannot be read: broken protobuf wire data, or a graph whose content
 * does not match what the reader or importer was asked to find.
 *
 * <p>The message names the source (resource or file) and, for wire errors, the byte offset.
 */
public final class OnnxFormatException extends RuntimeException {

    public OnnxFormatException(String message) {
        super(message);
    }
}
