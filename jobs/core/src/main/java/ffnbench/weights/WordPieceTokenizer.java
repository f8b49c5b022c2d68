package ffnbench.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * BERT's tokenizer (uncased WordPiece), as described by a Hugging Face {@code tokenizer.json} with a
 * {@code BertNormalizer} (clean text, CJK spacing, lower case, strip accents), {@code BertPreTokenizer}
 * (split on white space and punctuation) and a {@code WordPiece} model (greedy longest match,
 * {@code ##} continuation), wrapped as {@code [CLS] … [SEP]}.
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final int unk;
    private final int cls;
    private final int sep;
    private final int maxCharsPerWord;

    public WordPieceTokenizer(JsonNode tokenizerJson) {
        JsonNode model = tokenizerJson.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IllegalArgumentException("tokenizer.json: model.type is '" + model.path("type").asText() + "', expected WordPiece");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        unk = id(model.path("unk_token").asText("[UNK]"));
        cls = id("[CLS]");
        sep = id("[SEP]");
        maxCharsPerWord = model.path("max_input_chars_per_word").asInt(100);
    }

    public static WordPieceTokenizer fromClasspath(String resource) {
        try (InputStream in = WordPieceTokenizer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is not on the classpath");
            return new WordPieceTokenizer(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    private int id(String token) {
        Integer i = vocab.get(token);
        if (i == null) throw new IllegalArgumentException("tokenizer vocabulary has no " + token);
        return i;
    }

    /** Token ids of one text: {@code [CLS] word pieces… [SEP]}, truncated to {@code maxTokens} in all. */
    public int[] encode(String text, int maxTokens) {
        if (maxTokens < 2) throw new IllegalArgumentException("maxTokens must be ≥ 2 for [CLS] and [SEP]");
        List<Integer> ids = new ArrayList<>();
        ids.add(cls);
        for (String word : preTokenize(normalize(text))) {
            wordPieces(word, ids);
            if (ids.size() >= maxTokens - 1) break;
        }
        while (ids.size() > maxTokens - 1) ids.remove(ids.size() - 1);
        ids.add(sep);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static String normalize(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || (Character.isISOControl(cp) && cp != '\t' && cp != '\n' && cp != '\r')) return;
            if (Character.isWhitespace(cp) || Character.getType(cp) == Character.SPACE_SEPARATOR) {
                sb.append(' ');
            } else if (isCjk(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        // lowercase, then strip accents (NFD and drop combining marks), as BertNormalizer does when lowercasing
        String lower = sb.toString().toLowerCase(java.util.Locale.ROOT);
        return Normalizer.normalize(lower, Normalizer.Form.NFD).replaceAll("\\p{Mn}", "");
    }

    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (Character.isWhitespace(cp)) {
                flush(current, words);
            } else if (isPunctuation(cp)) {
                flush(current, words);
                words.add(new String(Character.toChars(cp)));
            } else {
                current.appendCodePoint(cp);
            }
        });
        flush(current, words);
        return words;
    }

    private static void flush(StringBuilder sb, List<String> words) {
        if (sb.length() > 0) {
            words.add(sb.toString());
            sb.setLength(0);
        }
    }

    private void wordPieces(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) {
            out.add(unk);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String piece = (start > 0 ? "##" : "") + word.substring(start, end);
                found = vocab.get(piece);
                if (found != null) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                out.add(unk);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }

    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }

    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
