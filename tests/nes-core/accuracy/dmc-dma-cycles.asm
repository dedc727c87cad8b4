; DMC DMA cycle stealing (NESdev wiki, "DMA" and "APU DMC"): each sample byte the DMC reader
; fetches halts the CPU on a read cycle for a halt cycle, a dummy cycle, an alignment cycle when
; needed and the get: a "reload" fetch asks to halt on a put cycle, so in code that only reads
; it always takes 4 cycles. At rate 15 (432 cycles per byte) a looping sample makes 69 or 70
; fetches in one frame-counter period, 276 to 280 cycles.
;
; Method: the APU frame IRQ (4-step mode, 29,828-29,830 cycles after a $4017 write) is the
; timer; a loop of reads only (INX / BNE / LDA zp / BEQ, 11 cycles) counts until the IRQ
; handler sets a flag, once with the DMC idle and once with a looping sample playing. The counts
; differ by the stolen cycles / 11: 25 or 26 for 4-cycle fetches (3-cycle fetches would give 18
; to 20, 5-cycle ones 31 or 32).
; Checks (result code; on the core before the DMC existed, check 2 failed):
;   1  the idle count is a frame-counter period's worth (over 2,600 iterations)
;   2  the count with the sample playing is 24 to 27 lower
;   3  the sample was still playing at the end ($4015 bit 4)
  .include "shell.asm"

done     = $10
count    = $11          ; 2 bytes
idle     = $13          ; 2 bytes
diff     = $15          ; 2 bytes

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  jsr measure
  lda count
  sta idle
  lda count+1
  sta idle+1
  lda #$4F
  sta $4010             ; no IRQ, loop, rate 15
  lda #$00
  sta $4012             ; $C000
  lda #$10
  sta $4013             ; 257 bytes
  lda #$10
  sta $4015
  jsr measure
  lda $4015
  pha
  lda #$00
  sta $4015
  sec
  lda idle
  sbc count
  sta diff
  lda idle+1
  sbc count+1
  sta diff+1
  lda idle+1            ; 1: 2,600 = $0A28
  cmp #$0A
  bcc @fail1
  bne @check2
  lda idle
  cmp #$28
  bcc @fail1
@check2:
  lda diff+1            ; 2
  bne @fail2
  lda diff
  cmp #24
  bcc @fail2
  cmp #28
  bcs @fail2
  pla                   ; 3
  and #$10
  beq @fail3
  jmp passed
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
  jmp finish
@fail3:
  lda #3
  jmp finish

; Counts loop iterations from a $4017 write to the frame IRQ, in count (16 bits). Page-aligned:
; the loop's branches stay in their page.
  .align 256
measure:
  lda #0
  sta done
  tax
  tay
  sta $4017             ; 4-step mode, frame IRQ on: the sequencer restarts
  cli
@loop:
  inx
  bne @same
  iny
@same:
  lda done
  beq @loop
  sei
  stx count
  sty count+1
  rts

irq_handler:
  lda $4015             ; acknowledge the frame IRQ
  lda #$40
  sta $4017             ; and no more of them
  lda #1
  sta done
  pla
  ora #$04              ; return with I set
  pha
  rti
